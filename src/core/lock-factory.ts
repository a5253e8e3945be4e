// LockFactory: one store, many locks. Every createLock() makes a new Key, so two locks
// for one resource exclude each other even inside one process.
import { InvalidArgumentError, describeValue } from './errors.js';
import { Key } from './key.js';
import { LOCK_OPTION_KEYS, Lock, type LockOptions, type Logger } from './lock.js';
import { MultiLock, canonicalResources } from './multi-lock.js';
import { parseOptions } from './options.js';
import type { PersistingStore } from './store.js';

/** The TTL locks get from a factory unless told otherwise: five minutes, in milliseconds. */
export const DEFAULT_TTL = 300_000;

export class LockFactory {
  readonly store: PersistingStore;
  readonly #logger: Logger | undefined;

  constructor(store: PersistingStore, options: { logger?: Logger } = {}) {
    if (typeof store !== 'object' || store === null || typeof store.save !== 'function') {
      throw new InvalidArgumentError(`LockFactory needs a store (an object with save/delete/exists/putOffExpiration); got ${describeValue(store)}.`);
    }
    this.store = store;
    this.#logger = parseOptions(options, 'LockFactory options', ['logger']).logger;
  }

  createLock(resource: string, options?: LockOptions): Lock {
    const parsed = parseOptions(options, 'createLock() options', LOCK_OPTION_KEYS);
    return this.createLockFromKey(new Key(resource), parsed);
  }

  /** Locks built from one Key are the same owner (a key received from another process, say). */
  createLockFromKey(key: Key, options?: LockOptions): Lock {
    if (!(key instanceof Key)) {
      throw new InvalidArgumentError(`createLockFromKey() needs a Key; got ${describeValue(key)}.`);
    }
    options = parseOptions(options, 'createLockFromKey() options', LOCK_OPTION_KEYS);
    const lockOptions: LockOptions & { logger?: Logger } = {
      ttl: options.ttl === undefined ? DEFAULT_TTL : options.ttl,
    };
    if (options.autoRelease !== undefined) lockOptions.autoRelease = options.autoRelease;
    if (options.autoRefresh !== undefined) lockOptions.autoRefresh = options.autoRefresh;
    if (this.#logger) lockOptions.logger = this.#logger;
    return new Lock(key, this.store, lockOptions);
  }

  /**
   * One lock over several resources, all or nothing (see MultiLock): duplicates are
   * dropped and the resources sorted into one canonical order, so that two processes
   * naming {a, b} and {b, a} never deadlock. `options` apply to every lock; autoRelease
   * to the MultiLock's disposal.
   */
  createMultiLock(resources: string[], options?: LockOptions): MultiLock {
    const names = canonicalResources(resources, 'createMultiLock()');
    const parsed = parseOptions(options, 'createMultiLock() options', LOCK_OPTION_KEYS);
    const { autoRelease, ...each } = parsed;
    const locks = names.map((name) => this.createLockFromKey(new Key(name), { ...each, autoRelease: false }));
    return new MultiLock(locks, autoRelease === undefined ? {} : { autoRelease });
  }
}
