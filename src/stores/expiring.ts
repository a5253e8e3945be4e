// Shared behaviour of expiring stores (Symfony's ExpiringStoreTrait).
import { LockExpiredError } from '../core/errors.js';
import type { Key } from '../core/key.js';
import type { PersistingStore } from '../core/store.js';

/**
 * Called at the end of save/saveRead/putOffExpiration: a key whose lifetime ran out
 * while the store worked must not be left stored.
 */
export async function checkNotExpired(store: PersistingStore, key: Key): Promise<void> {
  if (!key.isExpired()) return;
  try {
    await store.delete(key);
  } catch {
    // Reporting the expiry matters more than a failed clean-up.
  }
  throw new LockExpiredError(`Failed to store the "${key.resource}" lock: its lifetime ran out.`);
}
