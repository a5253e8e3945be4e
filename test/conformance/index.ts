// The store conformance suite: written once, run by every store with the parts that
// match its capabilities (read from the store itself, so a store that gains a
// capability automatically runs its suite).
import { describe } from 'vitest';
import { isBlockingStore, isSharedLockStore, type BlockingStore, type SharedLockStore } from '../../src/index.js';
import { blockingStoreSuite } from './blocking.js';
import type { ConformanceTarget } from './context.js';
import { expiringStoreSuite } from './expiring.js';
import { persistingStoreSuite } from './persisting.js';
import { sharedLockStoreSuite } from './shared.js';
import { transferableKeySuite } from './transferable.js';
import { unserializableKeySuite } from './unserializable.js';

export type { ConformanceTarget } from './context.js';

export function runConformance(target: ConformanceTarget): void {
  const probe = target.makeStore();
  const capabilities = {
    blocking: isBlockingStore(probe),
    shared: isSharedLockStore(probe),
  };
  describe(`${target.name} conformance`, () => {
    persistingStoreSuite(target);
    if (capabilities.shared) sharedLockStoreSuite(target as ConformanceTarget<SharedLockStore>);
    if (capabilities.blocking) blockingStoreSuite(target as ConformanceTarget<BlockingStore>);
    if (target.expiring) expiringStoreSuite(target);
    if (target.local) unserializableKeySuite(target);
    if (target.transferable) transferableKeySuite(target);
  });
}
