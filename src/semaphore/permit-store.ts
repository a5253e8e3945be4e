// Permit stores: where a semaphore's permits live (Symfony Semaphore's store interface,
// plus a blocking wait). A store grants `key.weight` of `key.limit` permits to a key, or
// none; it never retries, sleeps or logs decisions: `Semaphore` (through Lock) does.
import type { WaitOptions } from '../core/store.js';
import type { SemaphoreKey } from './semaphore-key.js';

export interface PermitStore {
  /**
   * Takes `key.weight` permits for `key`, for `ttl` ms (null: the store's default, or no
   * expiry on a store whose permits do not expire). Does nothing if `key` holds them.
   * A store whose permits expire calls `key.reduceLifetime(ttl)` as it sends the request.
   * @throws LockConflictedError when fewer than `key.weight` permits are free.
   */
  save(key: SemaphoreKey, ttl: number | null): Promise<void>;
  /** Gives back the permits `key` holds; a no-op when it holds none. */
  delete(key: SemaphoreKey): Promise<void>;
  /** Whether `key` holds its permits now. */
  exists(key: SemaphoreKey): Promise<boolean>;
  /**
   * Extends the permits' lifetime to `ttl` ms from now (a no-op on stores whose permits
   * do not expire).
   * @throws LockConflictedError or SemaphoreExpiredError when `key` holds no permits.
   */
  putOffExpiration(key: SemaphoreKey, ttl: number): Promise<void>;
}

/** A permit store that can wait for permits itself (kernel waits, server notifications). */
export interface BlockingPermitStore extends PermitStore {
  /**
   * Waits until `key.weight` permits are taken for `key`.
   * @throws LockConflictedError when `options.timeout` runs out; rejects with
   * `options.signal.reason` when aborted. Nothing stays held after either.
   */
  waitAndSave(key: SemaphoreKey, ttl: number | null, options?: WaitOptions): Promise<void>;
}

export function isBlockingPermitStore(store: PermitStore): store is BlockingPermitStore {
  return typeof (store as Partial<BlockingPermitStore>).waitAndSave === 'function';
}

/** Whether `value` has a permit store's four methods. */
export function isPermitStore(value: unknown): value is PermitStore {
  if (typeof value !== 'object' || value === null) return false;
  const store = value as Record<string, unknown>;
  return ['save', 'delete', 'exists', 'putOffExpiration'].every((name) => typeof store[name] === 'function');
}
