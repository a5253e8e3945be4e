// NullStore: every lock is granted and nothing is stored. For disabling locking in
// tests or single-process setups without changing the calling code.
import type { Key } from '../../core/key.js';
import type { BlockingSharedLockStore } from '../../core/store.js';

export class NullStore implements BlockingSharedLockStore {
  async save(_key: Key): Promise<void> {}
  async saveRead(_key: Key): Promise<void> {}
  async waitAndSaveRead(_key: Key): Promise<void> {}
  async delete(_key: Key): Promise<void> {}
  async putOffExpiration(_key: Key, _ttl: number): Promise<void> {}
  /** Nothing is ever stored, so no key holds anything. */
  async exists(_key: Key): Promise<boolean> {
    return false;
  }
}
