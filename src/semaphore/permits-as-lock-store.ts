// A permit store seen as a lock store, so that a Semaphore holds its permits through a
// Lock (src/core/lock.ts) and inherits its rules: lifetimes that move only on a confirmed
// reply, waits bounded by timeout and signal from their first instant, refresh and
// auto-refresh, `signal` on loss. Only SemaphoreKeys pass through here.
import { markLifetimeApplied, requestedLifetime } from '../core/lifetime-request.js';
import type { Key } from '../core/key.js';
import type { BlockingStore, PersistingStore, WaitOptions } from '../core/store.js';
import { isBlockingPermitStore, type PermitStore } from './permit-store.js';
import type { SemaphoreKey } from './semaphore-key.js';

export class PermitsAsLockStore implements PersistingStore {
  readonly permits: PermitStore;
  readonly verifiesDelete?: true;
  /** Present when the permit store can wait (Lock then uses it instead of polling). */
  readonly waitAndSave?: BlockingStore['waitAndSave'];

  constructor(permits: PermitStore) {
    this.permits = permits;
    if ((permits as { verifiesDelete?: unknown }).verifiesDelete === true) this.verifiesDelete = true;
    if (isBlockingPermitStore(permits)) {
      this.waitAndSave = async (key: Key, options?: WaitOptions) => {
        const ttl = requestedLifetime(key);
        await permits.waitAndSave(key as SemaphoreKey, ttl, options);
        if (ttl !== null) markLifetimeApplied(key, ttl);
      };
    }
  }

  async save(key: Key): Promise<void> {
    // The TTL travels as an argument, as in Symfony's permit stores; the store applied it.
    const ttl = requestedLifetime(key);
    await this.permits.save(key as SemaphoreKey, ttl);
    if (ttl !== null) markLifetimeApplied(key, ttl);
  }

  delete(key: Key): Promise<void> {
    return this.permits.delete(key as SemaphoreKey);
  }

  exists(key: Key): Promise<boolean> {
    return this.permits.exists(key as SemaphoreKey);
  }

  putOffExpiration(key: Key, ttl: number): Promise<void> {
    return this.permits.putOffExpiration(key as SemaphoreKey, ttl);
  }
}
