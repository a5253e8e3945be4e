// LockManager: "run this once, across processes", configured from an object or the
// environment (Glueful's lock manager, without its bugs: every config key honoured,
// isLocked() that never registers itself, probes that work with any minimum TTL).
import { formatDuration, parseDuration, type Duration } from '../core/duration.js';
import { InvalidArgumentError, LockConflictedError, describeValue } from '../core/errors.js';
import { Key } from '../core/key.js';
import { LOCK_OPTION_KEYS, Lock, createInternalLock, type LockOptions } from '../core/lock.js';
import { MultiLock, canonicalResources } from '../core/multi-lock.js';
import { parseOptions } from '../core/options.js';
import { isBlockingStore, type PersistingStore } from '../core/store.js';
import { jitteredRetryDelay, sleep } from '../core/wait.js';
import { resolveConfig, type LockManagerConfig, type ResolvedConfig } from './config.js';
import { configFromEnv, type Env } from './env.js';
import { MetricsCollector, type LockMetrics } from './metrics.js';
import { buildStore, closeStore } from './stores.js';

export interface ExecuteOptions {
  /** Lock TTL for this call, ms or '30s' (default: the manager's ttl). Refreshed while fn runs. */
  ttl?: Duration;
}

export interface WaitAndExecuteOptions extends ExecuteOptions {
  /** Longest wait, ms or '30s' (default: retry.maxWait of the config). */
  maxWait?: Duration;
}

/** The callback of executeWithLock(s)/waitAndExecute; `signal` aborts if a lock is lost. */
export type LockedCallback<T> = (signal: AbortSignal) => T | Promise<T>;

export class LockManager {
  readonly config: ResolvedConfig;
  readonly #stores = new Map<string, PersistingStore>();
  readonly #metrics: MetricsCollector | null;

  constructor(config: LockManagerConfig = {}) {
    this.config = resolveConfig(config);
    this.#metrics = this.config.metrics ? new MetricsCollector() : null;
  }

  /** A manager configured from LOCK_* variables (see the README); `overrides` win. */
  static fromEnv(env: Env = process.env, overrides: LockManagerConfig = {}): LockManager {
    const fromEnv = configFromEnv(env);
    return new LockManager({
      ...fromEnv,
      ...overrides,
      stores: { ...fromEnv.stores, ...overrides.stores },
      retry: { ...fromEnv.retry, ...overrides.retry },
    });
  }

  /** The default store (built on first use). */
  get store(): PersistingStore {
    return this.#store(this.config.default);
  }

  #store(name: string): PersistingStore {
    let store = this.#stores.get(name);
    if (!store) {
      store = buildStore(name, this.config.stores[name]!);
      this.#stores.set(name, store);
    }
    return store;
  }

  /** The full resource name of `name`: the store's prefix if it has one, else the manager's; then the name. */
  resourceFor(name: string): string {
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidArgumentError(`A lock name must be a non-empty string; got ${describeValue(name)}.`);
    }
    const prefix = this.config.stores[this.config.default]!.prefix ?? this.config.prefix;
    return `${prefix}${name}`;
  }

  createLock(name: string, options?: LockOptions): Lock {
    options = parseOptions(options, 'createLock() options', LOCK_OPTION_KEYS);
    return createInternalLock(this.#metrics ? { observer: this.#metrics } : {}, new Key(this.resourceFor(name)), this.store, {
      ttl: options.ttl === undefined ? this.config.ttl : options.ttl,
      ...(options.autoRelease !== undefined && { autoRelease: options.autoRelease }),
      ...(options.autoRefresh !== undefined && { autoRefresh: options.autoRefresh }),
      ...(this.config.logger && { logger: this.config.logger }),
    });
  }

  /**
   * One lock over several names, all or nothing (MultiLock): the names are de-duplicated
   * and taken in one canonical order, so that callers naming them in any order never
   * deadlock. `options` apply to every lock; autoRelease to the MultiLock's disposal.
   */
  createMultiLock(names: string[], options?: LockOptions): MultiLock {
    const unique = canonicalResources(names, 'createMultiLock()');
    options = parseOptions(options, 'createMultiLock() options', LOCK_OPTION_KEYS);
    const { autoRelease, ...each } = options;
    const locks = unique.map((name) => this.createLock(name, { ...each, autoRelease: false }));
    return new MultiLock(locks, autoRelease === undefined ? {} : { autoRelease });
  }

  /**
   * Runs `fn` while holding `name`, if nobody else holds it; returns fn's result.
   * @throws LockConflictedError when the lock is busy.
   */
  async executeWithLock<T>(name: string, fn: LockedCallback<T>, options?: ExecuteOptions): Promise<T> {
    checkCallback(fn);
    options = parseOptions(options, 'executeWithLock() options', ['ttl']);
    const lock = this.#lockForCall(name, options);
    if (!(await lock.acquire())) {
      throw new LockConflictedError(`Could not acquire the "${name}" lock: another owner holds it.`);
    }
    return this.#runHolding(lock, fn);
  }

  /**
   * Runs `fn` while holding every one of `names`, if nobody else holds any of them;
   * returns fn's result. The locks are taken in one canonical order and all given back
   * when one is busy; `signal` aborts if any is lost. Glueful's "multiple locks" pattern
   * (`$a->acquire() && $b->acquire()`), without its stuck first lock and its deadlock.
   * @throws LockConflictedError when one of them is busy (none stays held).
   */
  async executeWithLocks<T>(names: string[], fn: LockedCallback<T>, options?: ExecuteOptions): Promise<T> {
    checkCallback(fn);
    options = parseOptions(options, 'executeWithLocks() options', ['ttl']);
    const ttl = options.ttl ?? this.config.ttl;
    const multi = this.createMultiLock(names, { ttl, autoRefresh: true, autoRelease: true });
    if (!(await multi.acquire())) {
      const list = canonicalResources(names, 'executeWithLocks()').map((name) => `"${name}"`).join(', ');
      throw new LockConflictedError(`Could not acquire the locks ${list}: another owner holds at least one of them (none is held now).`);
    }
    return this.#runHolding(multi, fn);
  }

  /**
   * Waits up to `maxWait` ms for `name` (in the kernel where the store can, else
   * retrying per the retry config), then runs `fn` holding it.
   * @throws LockConflictedError when the wait ends without the lock.
   */
  async waitAndExecute<T>(name: string, fn: LockedCallback<T>, options?: WaitAndExecuteOptions): Promise<T> {
    checkCallback(fn);
    options = parseOptions(options, 'waitAndExecute() options', ['ttl', 'maxWait'], { max_wait: "Write maxWait with a unit, e.g. maxWait: '10s'." });
    const maxWait = options.maxWait === undefined ? this.config.retry.maxWait : parseDuration(options.maxWait, 'options.maxWait');
    const lock = this.#lockForCall(name, options);
    const acquired = isBlockingStore(this.store) ? await lock.acquire({ timeout: maxWait }) : await this.#retry(lock, maxWait);
    if (!acquired) {
      throw new LockConflictedError(`Could not acquire the "${name}" lock within ${formatDuration(maxWait)}.`);
    }
    return this.#runHolding(lock, fn);
  }

  /**
   * Polling for stores that cannot wait: an attempt every `retry.delay` until `maxWait`
   * has run out (the wait its error message names), with one last attempt at the end.
   */
  async #retry(lock: Lock, maxWait: number): Promise<boolean> {
    const deadline = performance.now() + maxWait;
    const { delay } = this.config.retry;
    for (;;) {
      if (await lock.acquire()) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      // At least a millisecond between attempts, so that a delay of 0 does not spin the loop.
      await sleep(Math.max(Math.min(delay === 0 ? 0 : jitteredRetryDelay(delay, delay / 10), left), 1));
    }
  }

  #lockForCall(name: string, options: ExecuteOptions): Lock {
    const ttl = options.ttl ?? this.config.ttl;
    return this.createLock(name, { ttl, autoRefresh: true, autoRelease: true });
  }

  async #runHolding<T>(lock: Lock | MultiLock, fn: LockedCallback<T>): Promise<T> {
    let result: T;
    try {
      result = await fn(lock.signal);
    } catch (error) {
      try {
        await lock.release();
      } catch (releaseError) {
        const what = lock instanceof MultiLock ? `locks ${lock.resources.map((r) => `"${r}"`).join(', ')}` : `"${lock.key.resource}" lock`;
        this.config.logger?.warn?.(`Failed to release the ${what} after the callback failed.`, { error: releaseError });
      }
      throw error;
    }
    await lock.release();
    return result;
  }

  /**
   * Whether anyone holds `name` now (this process included). A probe: it is not
   * registered anywhere, sets no TTL of its own, and never touches a holder's lock.
   */
  async isLocked(name: string): Promise<boolean> {
    const probe = new Lock(new Key(this.resourceFor(name)), this.store, { ttl: null, autoRelease: false });
    if (!(await probe.acquire())) return true;
    await probe.release();
    return false;
  }

  /** A snapshot of the counters and distributions (see LockMetrics). */
  metrics(): LockMetrics {
    if (!this.#metrics) throw new InvalidArgumentError('This LockManager was created with metrics: false.');
    return this.#metrics.snapshot();
  }

  /** Stops collecting metrics and closes the stores this manager opened (Redis clients). */
  async close(): Promise<void> {
    this.#metrics?.close();
    const stores = [...this.#stores.values()];
    this.#stores.clear();
    await Promise.all(stores.map(closeStore));
  }
}

function checkCallback(fn: unknown): void {
  if (typeof fn !== 'function') throw new InvalidArgumentError(`The callback must be a function; got ${describeValue(fn)}.`);
}
