// Lock: the policy over a store. Symfony's Lock semantics (reference/symfony-lock.md §2)
// with locksmith's deliberate differences (DESIGN.md): bounded and abortable waits,
// a clean state after a failed promotion, and explicit disposal instead of destructors.
import {
  InvalidArgumentError,
  LockAcquiringError,
  LockConflictedError,
  LockExpiredError,
  LockReleasingError,
} from './errors.js';
import { validateOptionalTtl, validateTtl } from './duration.js';
import { getFencingToken } from './fencing.js';
import type { Key } from './key.js';
import {
  isBlockingSharedLockStore,
  isBlockingStore,
  isSharedLockStore,
  type BlockingSharedLockStore,
  type BlockingStore,
  type PersistingStore,
} from './store.js';
import {
  jitteredRetryDelay,
  parseAcquireOptions,
  sleep,
  toWaitOptions,
  type AcquireOptions,
  type ParsedAcquireOptions,
} from './wait.js';

/** A console-compatible logger; every method is optional. */
export interface Logger {
  debug?(message: string, context?: Record<string, unknown>): void;
  info?(message: string, context?: Record<string, unknown>): void;
  warn?(message: string, context?: Record<string, unknown>): void;
  error?(message: string, context?: Record<string, unknown>): void;
}

export interface LockOptions {
  /**
   * Milliseconds the lock lives after each acquire or refresh, on stores whose locks
   * expire; null for no expiry. `new Lock()` defaults to null, `LockFactory` to 300,000.
   */
  ttl?: number | null;
  /** Release on `await using` disposal. Default true. */
  autoRelease?: boolean;
}

export class Lock implements AsyncDisposable {
  readonly key: Key;
  readonly #store: PersistingStore;
  readonly #ttl: number | null;
  readonly #autoRelease: boolean;
  readonly #logger: Logger | undefined;
  /** This instance believes it may hold the lock. */
  #dirty = false;
  /** Created on first read of `signal` during a holding period; aborted when it ends. */
  #controller: AbortController | null = null;

  constructor(key: Key, store: PersistingStore, options: LockOptions & { logger?: Logger } = {}) {
    this.key = key;
    this.#store = store;
    this.#ttl = options.ttl === undefined ? null : validateOptionalTtl(options.ttl, 'options.ttl');
    if (options.autoRelease !== undefined && typeof options.autoRelease !== 'boolean') {
      throw new InvalidArgumentError('options.autoRelease must be a boolean.');
    }
    this.#autoRelease = options.autoRelease ?? true;
    this.#logger = options.logger;
  }

  /**
   * Takes the lock exclusively. Resolves true when held (also when this lock already
   * held it), false when busy (non-blocking) or when `timeout` ran out. An aborted
   * `signal` rejects with `signal.reason`; nothing stays held.
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    return this.#acquire(false, options);
  }

  /**
   * Takes the lock shared: readers exclude writers, not each other. On a store without
   * shared locks this is `acquire()`. Holding the write lock, it demotes it.
   */
  acquireRead(options?: AcquireOptions): Promise<boolean> {
    if (!isSharedLockStore(this.#store)) {
      this.#log('debug', 'Store does not support read locks, falling back to a write lock.');
      return this.#acquire(false, options);
    }
    return this.#acquire(true, options);
  }

  async #acquire(shared: boolean, options: AcquireOptions | undefined): Promise<boolean> {
    const wait = parseAcquireOptions(options);
    wait.signal?.throwIfAborted();
    const wasHeld = this.#dirty;
    this.key.resetLifetime();
    try {
      if (!(await this.#save(shared, wait))) {
        await this.#onConflict(wasHeld);
        return false;
      }
      this.#dirty = true;
      this.#log('debug', `Successfully acquired the "{resource}" lock${shared ? ' for reading' : ''}.`);
      if (this.#ttl !== null) await this.refresh(this.#ttl);
      if (this.key.isExpired()) {
        await this.#releaseQuietly();
        throw new LockExpiredError(`Failed to store the "${this.key.resource}" lock.`);
      }
      return true;
    } catch (error) {
      if (error instanceof LockConflictedError) {
        await this.#onConflict(wasHeld);
        if (wait.blocking) throw error;
        return false;
      }
      if (wait.signal?.aborted && error === wait.signal.reason) throw error;
      this.#log('warn', 'Failed to acquire the "{resource}" lock.', { error });
      throw new LockAcquiringError(`Failed to acquire the "${this.key.resource}" lock.`, { cause: error });
    }
  }

  /** One store call per Symfony's rules; false = busy (non-blocking) or timed out. */
  async #save(shared: boolean, wait: ParsedAcquireOptions): Promise<boolean> {
    const store = this.#store;
    if (!wait.blocking) {
      try {
        await (shared && isSharedLockStore(store) ? store.saveRead(this.key) : store.save(this.key));
        return true;
      } catch (error) {
        if (error instanceof LockConflictedError) return false;
        throw error;
      }
    }
    const native = shared ? isBlockingSharedLockStore(store) : isBlockingStore(store);
    if (native) {
      try {
        const options = toWaitOptions(wait);
        await (shared
          ? (store as BlockingSharedLockStore).waitAndSaveRead(this.key, options)
          : (store as BlockingStore).waitAndSave(this.key, options));
        return true;
      } catch (error) {
        // A native wait only conflicts when its timeout ran out.
        if (error instanceof LockConflictedError && wait.timeout !== undefined) return false;
        throw error;
      }
    }
    return this.#pollUntilSaved(shared, wait);
  }

  /** The fallback for stores that cannot wait: retry with jitter until saved or out of time. */
  async #pollUntilSaved(shared: boolean, wait: ParsedAcquireOptions): Promise<boolean> {
    const store = this.#store;
    const deadline = wait.timeout === undefined ? null : performance.now() + wait.timeout;
    for (;;) {
      try {
        await (shared && isSharedLockStore(store) ? store.saveRead(this.key) : store.save(this.key));
        return true;
      } catch (error) {
        if (!(error instanceof LockConflictedError)) throw error;
      }
      const left = deadline === null ? Infinity : deadline - performance.now();
      if (left <= 0) return false;
      await sleep(Math.min(jitteredRetryDelay(), left), wait.signal);
    }
  }

  /**
   * A refused acquisition leaves this lock holding nothing, even when it held the lock
   * in the other mode before (a refused promotion): half-held states are bugs waiting.
   */
  async #onConflict(wasHeld: boolean): Promise<void> {
    this.#log('info', 'Failed to acquire the "{resource}" lock. Someone else already acquired the lock.');
    if (wasHeld) await this.#releaseQuietly();
    this.#dirty = false;
  }

  /**
   * Extends the lock's lifetime to `ttl` ms (default: the lock's TTL) from now.
   * @throws LockConflictedError when another owner holds it, LockExpiredError when the
   * lifetime ran out meanwhile.
   */
  async refresh(ttl?: number): Promise<void> {
    const effective = ttl ?? this.#ttl;
    if (effective === null) {
      throw new InvalidArgumentError(`You have to define an expiration duration to refresh the "${this.key.resource}" lock.`);
    }
    validateTtl(effective);
    try {
      this.key.resetLifetime();
      await this.#store.putOffExpiration(this.key, effective);
      this.#dirty = true;
      if (this.key.isExpired()) {
        await this.#releaseQuietly();
        throw new LockExpiredError(
          `Failed to put off the expiration of the "${this.key.resource}" lock within the specified time.`,
        );
      }
      this.#log('debug', `Expiration defined for "{resource}" lock for ${effective} ms.`);
    } catch (error) {
      if (error instanceof LockConflictedError || error instanceof LockExpiredError) {
        this.#dirty = false;
        this.#endHolding(() => error);
        this.#log('warn', 'Failed to define an expiration for the "{resource}" lock, someone else acquired the lock.');
        throw error;
      }
      if (error instanceof InvalidArgumentError) throw error;
      this.#log('warn', 'Failed to define an expiration for the "{resource}" lock.', { error });
      throw new LockAcquiringError(`Failed to define an expiration for the "${this.key.resource}" lock.`, { cause: error });
    }
  }

  /** Whether this lock (its key) holds the lock now, asked of the store. */
  async isAcquired(): Promise<boolean> {
    this.#dirty = await this.#store.exists(this.key);
    return this.#dirty;
  }

  /**
   * Releases the lock; a no-op when this lock does not hold it.
   * @throws LockReleasingError when the store failed or still shows it held.
   */
  async release(): Promise<void> {
    const resource = this.key.resource;
    try {
      try {
        await this.#store.delete(this.key);
      } catch (error) {
        if (error instanceof LockReleasingError) throw error;
        throw new LockReleasingError(`Failed to release the "${resource}" lock.`, { cause: error });
      }
      this.#dirty = false;
      this.#endHolding(() => new DOMException(`The "${resource}" lock was released.`, 'AbortError'));
      let stillHeld: boolean;
      try {
        stillHeld = await this.#store.exists(this.key);
      } catch (error) {
        throw new LockReleasingError(`Failed to release the "${resource}" lock.`, { cause: error });
      }
      if (stillHeld) throw new LockReleasingError(`Failed to release the "${resource}" lock, the resource is still locked.`);
      this.#log('debug', 'Successfully released the "{resource}" lock.');
    } catch (error) {
      this.#log('warn', 'Failed to release the "{resource}" lock.', { error });
      throw error;
    }
  }

  async #releaseQuietly(): Promise<void> {
    try {
      await this.release();
    } catch {
      // The original failure is what the caller needs to see.
    }
  }

  /**
   * The number a store issued for the current exclusive acquisition, increasing with
   * every acquisition of the resource (stores that issue one: RedisStore). Give it to
   * the protected resource so that it can refuse writes from a holder whose lock
   * expired meanwhile. Undefined on stores without fencing.
   */
  get fencingToken(): bigint | undefined {
    return this.#dirty ? getFencingToken(this.key) : undefined;
  }

  /** Client-side view: no store round trip. */
  isExpired(): boolean {
    return this.key.isExpired();
  }

  getRemainingLifetime(): number | null {
    return this.key.getRemainingLifetime();
  }

  /**
   * Aborts when this holding period ends: released, or known lost (refresh refused,
   * expired). Each acquisition gets a fresh signal; read it after acquiring. While the
   * lock is not held, it is an already-aborted signal.
   */
  get signal(): AbortSignal {
    if (!this.#dirty) return AbortSignal.abort(new DOMException(`The "${this.key.resource}" lock is not held.`, 'AbortError'));
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  /** The reason is built only when someone listens: an Error costs microseconds. */
  #endHolding(reason: () => unknown): void {
    const controller = this.#controller;
    if (!controller) return;
    this.#controller = null;
    controller.abort(reason());
  }

  /** `await using lock = …`: releases at scope exit when autoRelease is on and it is held. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#autoRelease || !this.#dirty) return;
    if (await this.isAcquired()) await this.release();
  }

  #log(level: keyof Logger, message: string, extra?: Record<string, unknown>): void {
    const logger = this.#logger;
    if (!logger) return;
    logger[level]?.(message.replace('{resource}', this.key.resource), { resource: this.key.resource, ...extra });
  }
}
