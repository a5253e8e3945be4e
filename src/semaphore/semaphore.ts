// Semaphore: at most `limit` permits of a resource held at once, each holder taking
// `weight` of them. Symfony Semaphore's semantics, plus what it lacks: blocking acquires
// bounded by `timeout` and `signal`, `autoRefresh`, a `signal` that aborts on loss, and
// diagnostics under `lockwright:semaphore:*`. The permits are held through a Lock of the
// semaphore kind over the permit store, so the rules for lifetimes, waits, refreshes and
// losses are Lock's, in one place; this class chooses the words and the errors.
import { semaphoreChannels, type LockMessage, type SemaphoreMessage } from '../core/diagnostics.js';
import { type Duration } from '../core/duration.js';
import { InvalidArgumentError, SemaphoreAcquiringError, SemaphoreExpiredError, SemaphoreReleasingError, describeValue } from '../core/errors.js';
import { createInternalLock, type HoldingKind, type Lock, type Logger } from '../core/lock.js';
import { parseOptions } from '../core/options.js';
import type { AcquireOptions } from '../core/wait.js';
import { isPermitStore, type PermitStore } from './permit-store.js';
import { PermitsAsLockStore } from './permits-as-lock-store.js';
import { SemaphoreKey } from './semaphore-key.js';

export interface SemaphoreOptions {
  /**
   * How long the permits live after each acquire or refresh, on stores whose permits
   * expire: milliseconds or a unit string ('30s'); null for the store's default. Between
   * 10 ms and 365 days. `new Semaphore()` defaults to null, `SemaphoreFactory` to 5 minutes.
   */
  ttl?: Duration | null;
  /** Release on `await using` disposal. Default true. */
  autoRelease?: boolean;
  /** While held, refresh every third of the TTL; a failed refresh aborts `signal`. Default false. */
  autoRefresh?: boolean;
}

export const SEMAPHORE_OPTION_KEYS = ['ttl', 'autoRelease', 'autoRefresh'] as const;

/** The Semaphore that owns each inner Lock, for the messages it publishes. */
const owners = new WeakMap<Lock, Semaphore>();

const SEMAPHORE_KIND: HoldingKind = {
  noun: 'semaphore',
  channels: semaphoreChannels as unknown as HoldingKind['channels'],
  AcquiringError: SemaphoreAcquiringError,
  ReleasingError: SemaphoreReleasingError,
  ExpiredError: SemaphoreExpiredError,
  describe(lock: Lock, message: LockMessage): SemaphoreMessage {
    const semaphore = owners.get(lock)!;
    return {
      semaphore,
      resource: message.resource,
      store: semaphore.store.constructor.name,
      limit: semaphore.key.limit,
      weight: semaphore.key.weight,
      blocking: message.blocking,
      ttl: message.ttl,
    };
  },
};

export class Semaphore implements AsyncDisposable {
  readonly key: SemaphoreKey;
  readonly store: PermitStore;
  readonly #lock: Lock;

  constructor(key: SemaphoreKey, store: PermitStore, options: SemaphoreOptions & { logger?: Logger } = {}) {
    if (!(key instanceof SemaphoreKey)) {
      throw new InvalidArgumentError(`A Semaphore needs a SemaphoreKey (resource, limit, weight); got ${describeValue(key)}.`);
    }
    if (!isPermitStore(store)) {
      throw new InvalidArgumentError(`A Semaphore needs a permit store (save, delete, exists, putOffExpiration); got ${describeValue(store)}.`);
    }
    options = parseOptions(options, 'Semaphore options', [...SEMAPHORE_OPTION_KEYS, 'logger']);
    this.key = key;
    this.store = store;
    this.#lock = createInternalLock({ kind: SEMAPHORE_KIND }, key, new PermitsAsLockStore(store), options);
    owners.set(this.#lock, this);
  }

  /** How many permits the semaphore has, and how many this one takes. */
  get limit(): number {
    return this.key.limit;
  }

  get weight(): number {
    return this.key.weight;
  }

  /**
   * Takes `weight` permits. Resolves true when held (also when already held), false when
   * not enough are free (non-blocking) or when `timeout` ran out. An aborted `signal`
   * rejects with `signal.reason`; nothing stays held.
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    return this.#lock.acquire(options);
  }

  /**
   * Extends the permits' lifetime to `ttl` (default: the semaphore's TTL) from now.
   * @throws SemaphoreExpiredError when the permits were lost meanwhile (also aborts `signal`).
   */
  refresh(ttl?: Duration): Promise<void> {
    return this.#lock.refresh(ttl);
  }

  /** Gives back the permits; a no-op when not held. @throws SemaphoreReleasingError */
  release(): Promise<void> {
    return this.#lock.release();
  }

  /** Whether this semaphore holds its permits now, asked of the store. */
  isAcquired(): Promise<boolean> {
    return this.#lock.isAcquired();
  }

  /** Client-side view: no store round trip. */
  isExpired(): boolean {
    return this.#lock.isExpired();
  }

  getRemainingLifetime(): number | null {
    return this.#lock.getRemainingLifetime();
  }

  /**
   * Aborts when this holding period ends: released, or known lost (refresh refused,
   * expired, the store lost the permits). Read it after acquiring.
   */
  get signal(): AbortSignal {
    return this.#lock.signal;
  }

  /** `await using semaphore = …`: releases at scope exit when autoRelease is on and it is held. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#lock[Symbol.asyncDispose]();
  }
}
