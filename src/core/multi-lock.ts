// MultiLock: several resources held as one, all or nothing. Glueful's "multiple locks"
// pattern (`$a->acquire() && $b->acquire()`) leaves A held when B is busy, and two
// processes that lock {a, b} and {b, a} deadlock; here every acquisition follows one
// canonical order (sorted resource names), whatever order the caller names them in, and
// a failed acquisition gives back what it took. The holding itself (lifetimes, waits,
// refreshes, loss) is each Lock's: this class only orders, combines and undoes.
import { InvalidArgumentError, LockReleasingError, describeValue } from './errors.js';
import { type Duration } from './duration.js';
import type { Key } from './key.js';
import { Lock } from './lock.js';
import { parseOptions } from './options.js';
import { parseAcquireOptions, type AcquireOptions, type ParsedAcquireOptions } from './wait.js';

export interface MultiLockOptions {
  /** Release every lock on `await using` disposal. Default true. */
  autoRelease?: boolean;
}

/**
 * The canonical order: UTF-16 code units (JavaScript's default comparison), never a
 * locale's collation, which differs between machines and Node builds. Every process
 * must sort a set of names the same way, or two of them can deadlock.
 */
function canonical(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `resources` checked and put in canonical order, duplicates dropped (a resource named
 * twice is one lock: taking it twice would wait for itself). `call` names the method.
 */
export function canonicalResources(resources: unknown, call: string): string[] {
  const form = 'a non-empty array of non-empty strings, e.g. [\'orders\', \'invoices\']';
  if (!Array.isArray(resources)) throw new InvalidArgumentError(`${call} needs ${form}; got ${describeValue(resources)}.`);
  if (resources.length === 0) throw new InvalidArgumentError(`${call} needs ${form}; got an empty array.`);
  resources.forEach((resource: unknown, index) => {
    if (typeof resource !== 'string' || resource.length === 0) {
      throw new InvalidArgumentError(`${call} needs ${form}; element ${index} is ${describeValue(resource)}.`);
    }
  });
  return [...new Set(resources as string[])].sort(canonical);
}

export class MultiLock implements AsyncDisposable {
  /** The locks, in canonical order (sorted by resource). */
  readonly locks: readonly Lock[];
  readonly #autoRelease: boolean;
  /** Whether the last acquire took every lock (and no release or failed acquire followed). */
  #held = false;
  /** Created on first read of `signal` during a holding period; aborted when it ends. */
  #controller: AbortController | null = null;
  #unlisten: (() => void) | null = null;

  /**
   * Holds `locks` as one. They are put in canonical order (by resource); each must be a
   * Lock of its own resource (two locks of one resource would wait for each other).
   * LockFactory.createMultiLock() builds them from resource names.
   */
  constructor(locks: readonly Lock[], options: MultiLockOptions = {}) {
    if (!Array.isArray(locks) || locks.length === 0 || !locks.every((lock) => lock instanceof Lock)) {
      throw new InvalidArgumentError(
        `A MultiLock needs a non-empty array of Lock instances (LockFactory.createMultiLock(['a', 'b']) builds one from names); got ${describeValue(locks)}.`,
      );
    }
    options = parseOptions(options, 'MultiLock options', ['autoRelease']);
    if (options.autoRelease !== undefined && typeof options.autoRelease !== 'boolean') {
      throw new InvalidArgumentError(`options.autoRelease must be a boolean; got ${describeValue(options.autoRelease)}.`);
    }
    const sorted = [...locks].sort((a, b) => canonical(a.key.resource, b.key.resource));
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.key.resource === sorted[i - 1]!.key.resource) {
        throw new InvalidArgumentError(`A MultiLock holds each resource once; "${sorted[i]!.key.resource}" appears twice.`);
      }
    }
    this.locks = Object.freeze(sorted);
    this.#autoRelease = options.autoRelease ?? true;
  }

  /** The resources, in canonical order. */
  get resources(): string[] {
    return this.locks.map((lock) => lock.key.resource);
  }

  get keys(): Key[] {
    return this.locks.map((lock) => lock.key);
  }

  /**
   * Takes every lock exclusively, in canonical order, or none. Resolves true when all are
   * held, false when one is busy (non-blocking) or `timeout` ran out before the last was
   * taken: `timeout` bounds the whole wait, each lock waiting for what is left of it. An
   * aborted `signal` rejects with `signal.reason`. Whenever the answer is not true,
   * nothing stays held (also the locks this MultiLock held before the call).
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    return this.#acquire(options, (lock, o) => lock.acquire(o));
  }

  /** As acquire(), with shared locks (exclusive on stores without sharing). */
  acquireRead(options?: AcquireOptions): Promise<boolean> {
    return this.#acquire(options, (lock, o) => lock.acquireRead(o));
  }

  async #acquire(options: AcquireOptions | undefined, take: (lock: Lock, options: AcquireOptions) => Promise<boolean>): Promise<boolean> {
    const wait = parseAcquireOptions(options);
    wait.signal?.throwIfAborted();
    const deadline = wait.timeout === undefined ? null : performance.now() + wait.timeout;
    let complete = false;
    try {
      for (const lock of this.locks) {
        if (!(await take(lock, lockOptions(wait, deadline)))) return false;
      }
      complete = true;
    } finally {
      // All or nothing: whatever went wrong (busy, timed out, aborted, a store failure),
      // the locks taken so far, and any held from before, are given back.
      if (!complete) await this.#releaseAfterFailure();
    }
    this.#held = true;
    return true;
  }

  async #releaseAfterFailure(): Promise<void> {
    this.#endHolding(() => new DOMException(`The multi-lock ${this.#names()} was not acquired.`, 'AbortError'));
    try {
      await this.#releaseAll();
    } catch {
      // The acquisition's own outcome is what the caller needs to see; each Lock logged its failure.
    }
  }

  /**
   * Extends every lock's lifetime to `ttl` (default: each lock's TTL), all at once.
   * @throws the first failure in canonical order (LockConflictedError, LockExpiredError,
   * LockAcquiringError, as Lock.refresh throws them); a lock found lost aborts `signal`.
   */
  async refresh(ttl?: Duration): Promise<void> {
    const outcomes = await Promise.allSettled(this.locks.map((lock) => lock.refresh(ttl)));
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Whether this MultiLock holds every one of its locks now, asked of the stores. */
  async isAcquired(): Promise<boolean> {
    const held = await Promise.all(this.locks.map((lock) => lock.isAcquired()));
    return held.every(Boolean);
  }

  /**
   * Releases every lock. Each is tried even when another fails.
   * @throws LockReleasingError naming the locks that failed; its `cause` is that lock's
   * error, or an AggregateError of them when several failed.
   */
  async release(): Promise<void> {
    this.#endHolding(() => new DOMException(`The multi-lock ${this.#names()} was released.`, 'AbortError'));
    await this.#releaseAll();
  }

  async #releaseAll(): Promise<void> {
    const outcomes = await Promise.allSettled(this.locks.map((lock) => lock.release()));
    const failed: string[] = [];
    const errors: unknown[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') return;
      failed.push(`"${this.locks[i]!.key.resource}"`);
      errors.push(outcome.reason);
    });
    if (errors.length === 0) return;
    throw new LockReleasingError(`Failed to release ${failed.join(', ')} of the multi-lock ${this.#names()}.`, {
      cause: errors.length === 1 ? errors[0] : new AggregateError(errors, `${errors.length} locks failed to release.`),
    });
  }

  /** Client-side view: true as soon as one lock's lifetime ran out. */
  isExpired(): boolean {
    return this.locks.some((lock) => lock.isExpired());
  }

  /** The shortest remaining lifetime of the locks (ms); null when none expires. */
  getRemainingLifetime(): number | null {
    let shortest: number | null = null;
    for (const lock of this.locks) {
      const remaining = lock.getRemainingLifetime();
      if (remaining !== null && (shortest === null || remaining < shortest)) shortest = remaining;
    }
    return shortest;
  }

  /**
   * Aborts when this holding period ends: released, a failed acquire, or any one lock
   * known lost (its reason is the lost lock's). The other locks stay held until
   * release(): the work they protect may still be stopping. Read it after acquiring;
   * while not held, it is already aborted.
   */
  get signal(): AbortSignal {
    if (!this.#held) return AbortSignal.abort(new DOMException(`The multi-lock ${this.#names()} is not held.`, 'AbortError'));
    if (this.#controller) return this.#controller.signal;
    const controller = new AbortController();
    this.#controller = controller;
    const signals = this.locks.map((lock) => lock.signal);
    const lost = signals.find((signal) => signal.aborted);
    if (lost) {
      controller.abort(lost.reason);
      return controller.signal;
    }
    const onAbort = (event: Event) => {
      this.#unlisten?.();
      controller.abort((event.target as AbortSignal).reason);
    };
    for (const signal of signals) signal.addEventListener('abort', onAbort, { once: true });
    this.#unlisten = () => {
      this.#unlisten = null;
      for (const signal of signals) signal.removeEventListener('abort', onAbort);
    };
    return controller.signal;
  }

  #endHolding(reason: () => unknown): void {
    this.#held = false;
    this.#unlisten?.();
    const controller = this.#controller;
    this.#controller = null;
    if (controller && !controller.signal.aborted) controller.abort(reason());
  }

  #names(): string {
    return this.locks.map((lock) => `"${lock.key.resource}"`).join(', ');
  }

  /** `await using locks = …`: releases every lock at scope exit when autoRelease is on and it is held. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#autoRelease || !this.#held) return;
    await this.release();
  }
}

/**
 * One lock's share of the acquire options: non-blocking stays non-blocking; a timeout
 * becomes what is left of the whole wait (0: one last try); the signal is passed on.
 */
function lockOptions(wait: ParsedAcquireOptions, deadline: number | null): AcquireOptions {
  if (!wait.blocking) return false;
  const options: { signal?: AbortSignal; timeout?: number; blocking: true } = { blocking: true };
  if (wait.signal) options.signal = wait.signal;
  if (deadline !== null) options.timeout = Math.max(deadline - performance.now(), 0);
  return options;
}
