import { describe, expect, it } from 'vitest';
import { Key, LockFactory, NullStore, isBlockingSharedLockStore, isBlockingStore } from '../../../src/index.js';

describe('NullStore', () => {
  it('grants every lock and stores nothing', async () => {
    const store = new NullStore();
    const a = new Key('x');
    const b = new Key('x');
    await store.save(a);
    await store.save(b);
    await store.saveRead(a);
    expect(await store.exists(a)).toBe(false);
    await store.delete(a);
  });

  it('makes Lock.acquire true and release succeed, with isAcquired false', async () => {
    const factory = new LockFactory(new NullStore());
    const first = factory.createLock('x');
    const second = factory.createLock('x');
    expect(await first.acquire()).toBe(true);
    expect(await second.acquire(true)).toBe(true);
    expect(await first.acquireRead(true)).toBe(true);
    expect(await first.isAcquired()).toBe(false);
    await first.release();
    await expect(second[Symbol.asyncDispose]()).resolves.toBeUndefined();
  });

  it('declares blocking shared waits but not exclusive ones, as Symfony does', () => {
    expect(isBlockingSharedLockStore(new NullStore())).toBe(true);
    expect(isBlockingStore(new NullStore())).toBe(false);
  });
});
