// Store capabilities as small interfaces. `Lock` alone decides policy (native wait or
// polling, read or write fallback); stores never retry, sleep or log decisions.
import type { Key } from './key.js';

/** Limits on a blocking wait. `timeout` is in milliseconds. */
export interface WaitOptions {
  /** Aborting rejects the wait with `signal.reason`; nothing stays held. */
  signal?: AbortSignal;
  /** Give up after this many milliseconds (the wait then rejects with LockConflictedError). */
  timeout?: number;
}

/** Every store. */
export interface PersistingStore {
  /**
   * Stores the lock for `key`, or does nothing if `key` already holds it.
   * @throws LockConflictedError when another key holds it.
   */
  save(key: Key): Promise<void>;
  /** Removes the lock if `key` holds it; a no-op otherwise. */
  delete(key: Key): Promise<void>;
  /** Whether `key` (not just anyone) holds the lock now. */
  exists(key: Key): Promise<boolean>;
  /**
   * Extends the lock's lifetime to `ttl` milliseconds from now. A no-op on stores whose
   * locks do not expire.
   * @throws LockConflictedError when `key` does not hold the lock.
   */
  putOffExpiration(key: Key, ttl: number): Promise<void>;
}

/** A store that can wait for the lock itself, without polling. */
export interface BlockingStore extends PersistingStore {
  /**
   * Waits until the lock is stored for `key`.
   * @throws LockConflictedError when `options.timeout` runs out; rejects with
   * `options.signal.reason` when aborted.
   */
  waitAndSave(key: Key, options?: WaitOptions): Promise<void>;
}

/** A store with shared (read) locks: readers exclude writers, not each other. */
export interface SharedLockStore extends PersistingStore {
  /** @throws LockConflictedError when a writer (another key) holds the lock. */
  saveRead(key: Key): Promise<void>;
}

/** A shared-lock store that can also wait for a read lock without polling. */
export interface BlockingSharedLockStore extends SharedLockStore {
  waitAndSaveRead(key: Key, options?: WaitOptions): Promise<void>;
}

/**
 * A store whose delete() resolves only once nothing is held for the key any more (its
 * delete is one atomic step on the server). `Lock.release()` then skips the exists()
 * check that verifies a release: one round trip less.
 */
export interface VerifiedDeleteStore extends PersistingStore {
  readonly verifiesDelete: true;
}

/**
 * A store that takes a free lock and gives one back on the calling thread, with no
 * promise in between (the local stores: one flock or semop call). `Lock` settles an
 * acquire of a free lock and a release in the call that asks, with no extra turns.
 * Its locks never expire, and its delete() is verified (no exists() check after it).
 */
/** How ImmediateStore.waitNow() reports: null when held, else why not. */
export type WaitDone = (error: unknown) => void;

export interface ImmediateStore extends VerifiedDeleteStore {
  /**
   * save() (or saveRead() when `shared`) done now: true when `key` holds the lock (also
   * when it already did), false when another owner holds it. Null when the call cannot be
   * decided here: a blocking call (`blocking`) must queue behind this process's earlier
   * waiters, or another call of the same key is in progress; use the promise methods.
   * @throws a storage error, as save() rejects with.
   */
  saveNow(key: Key, shared: boolean, blocking: boolean): boolean | null;
  /**
   * waitAndSave() (or waitAndSaveRead() when `shared`) without a timeout or signal, told
   * by callback: `done(null)` once `key` holds the lock, `done(error)` when it cannot, in
   * the very turn the store learns it (a kernel grant's callback), so that the caller's
   * promise settles there and not some promise turns later (a hand-off's latency).
   * `done` is called exactly once, possibly before waitNow() returns, and must not throw.
   * `busy`: saveNow() just found the lock busy (false, not null) in this turn, so queue
   * without trying again.
   */
  waitNow(key: Key, shared: boolean, busy: boolean, done: WaitDone): void;
  /** delete() done now. @throws a storage error, as delete() rejects with. */
  deleteNow(key: Key): void;
  /** putOffExpiration() is a no-op that only checks its TTL. */
  readonly expires: false;
}

export function isImmediateStore(store: PersistingStore): store is ImmediateStore {
  return typeof (store as Partial<ImmediateStore>).saveNow === 'function';
}

export function verifiesDelete(store: PersistingStore): store is VerifiedDeleteStore {
  return (store as Partial<VerifiedDeleteStore>).verifiesDelete === true;
}

export function isBlockingStore(store: PersistingStore): store is BlockingStore {
  return typeof (store as Partial<BlockingStore>).waitAndSave === 'function';
}

export function isSharedLockStore(store: PersistingStore): store is SharedLockStore {
  return typeof (store as Partial<SharedLockStore>).saveRead === 'function';
}

export function isBlockingSharedLockStore(store: PersistingStore): store is BlockingSharedLockStore {
  return isSharedLockStore(store) && typeof (store as Partial<BlockingSharedLockStore>).waitAndSaveRead === 'function';
}
