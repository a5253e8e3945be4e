// The store conformance suite: written once, run by every store. Each store's test file
// states the capabilities it expects the store to have (`expect`); the first test checks
// the store against that statement, and the suites follow the statement, not the store.
// A store that lost its blocking or shared capability then fails, instead of quietly
// running fewer suites; one that gained a capability fails until its test file says so.
import { describe, expect, it } from 'vitest';
import { isBlockingSharedLockStore, isBlockingStore, isSharedLockStore, type BlockingStore, type SharedLockStore } from '../../src/index.js';
import { blockingStoreSuite } from './blocking.js';
import type { ConformanceTarget } from './context.js';
import { expiringStoreSuite } from './expiring.js';
import { persistingStoreSuite } from './persisting.js';
import { sharedLockStoreSuite } from './shared.js';
import { transferableKeySuite } from './transferable.js';
import { unserializableKeySuite } from './unserializable.js';

export type { ConformanceTarget } from './context.js';

/** What a store's test file says the store can do. */
export interface ExpectedCapabilities {
  /** waitAndSave: the store waits itself (no polling). */
  blocking: boolean;
  /** saveRead: readers share the lock. */
  shared: boolean;
  /** waitAndSaveRead (only with blocking and shared). */
  blockingShared?: boolean;
  /** Locks expire: the target must then give `expiring`. */
  expiring: boolean;
}

export function runConformance(target: ConformanceTarget & { expect: ExpectedCapabilities }): void {
  const expected = target.expect;
  describe(`${target.name} conformance`, () => {
    it(`has the capabilities its test file declares: ${JSON.stringify(expected)}`, () => {
      const store = target.makeStore();
      const actual: ExpectedCapabilities = {
        blocking: isBlockingStore(store),
        shared: isSharedLockStore(store),
        expiring: target.expiring !== undefined,
      };
      if (expected.blockingShared !== undefined) actual.blockingShared = isBlockingSharedLockStore(store);
      expect(actual).toEqual(expected);
    });
    persistingStoreSuite(target);
    const plain: ConformanceTarget = target;
    if (expected.shared) sharedLockStoreSuite(plain as ConformanceTarget<SharedLockStore>);
    if (expected.blocking) blockingStoreSuite(plain as ConformanceTarget<BlockingStore>);
    if (expected.expiring && target.expiring) expiringStoreSuite(target);
    if (target.local) unserializableKeySuite(target);
    if (target.transferable) transferableKeySuite(target);
  });
}
