import { describe, expect, it } from 'vitest';
import { Key, LockAcquiringError, LockConflictedError, LockExpiredError, LockFactory } from '../../src/index.js';
import { resourceNamer, type ConformanceTarget } from './context.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stores whose locks expire (TTL, refresh, putOffExpiration). */
export function expiringStoreSuite(target: ConformanceTarget): void {
  const resource = resourceNamer(target);
  const expiring = target.expiring!;
  // Times below are for millisecond stores; coarser stores get them stretched (×50 for
  // whole seconds: each window then spans at least one step).
  const k = expiring.granularity === undefined ? 1 : Math.max(1, expiring.granularity / 20);

  describe(`${target.name}: expiring locks`, () => {
    it('frees a lock whose TTL ran out', async () => {
      const store = expiring.makeStoreWithInitialTtl(60 * k);
      const name = resource('expiry');
      const first = new Key(name);
      await store.save(first);
      await expect(store.save(new Key(name))).rejects.toBeInstanceOf(LockConflictedError);
      await sleep(90 * k);
      expect(await store.exists(first)).toBe(false);
      const second = new Key(name);
      await store.save(second);
      expect(await store.exists(second)).toBe(true);
      await store.delete(second);
    });

    it('keeps a refreshed lock alive past its first TTL', async () => {
      const factory = new LockFactory(expiring.makeStoreWithInitialTtl(60_000));
      const name = resource('refresh');
      const lock = factory.createLock(name, { ttl: 80 * k });
      expect(await lock.acquire()).toBe(true);
      const remaining = lock.getRemainingLifetime()!;
      expect(remaining).toBeGreaterThan(0);
      expect(remaining).toBeLessThanOrEqual(80 * k);
      await sleep(50 * k);
      await lock.refresh();
      await sleep(50 * k);
      expect(await lock.isAcquired()).toBe(true);
      expect(lock.isExpired()).toBe(false);
      await sleep(60 * k);
      expect(lock.isExpired()).toBe(true);
      expect(await lock.isAcquired()).toBe(false);
      expect(await factory.createLock(name).acquire()).toBe(true);
    });

    it('refuses to put off the expiration of a key that does not hold the lock', async () => {
      const store = expiring.makeStoreWithInitialTtl(60_000);
      const name = resource('put-off-foreign');
      const holder = new Key(name);
      await store.save(holder);
      await expect(store.putOffExpiration(new Key(name), 1_000)).rejects.toBeInstanceOf(LockConflictedError);
      await store.delete(holder);
    });

    it('refuses to put off the expiration of a lock that already expired and was taken over', async () => {
      const store = expiring.makeStoreWithInitialTtl(40 * k);
      const name = resource('put-off-expired');
      const first = new Key(name);
      await store.save(first);
      await sleep(60 * k);
      const second = new Key(name);
      await store.save(second);
      await expect(store.putOffExpiration(first, 1_000)).rejects.toBeInstanceOf(LockConflictedError);
      expect(await store.exists(second)).toBe(true);
      await store.delete(second);
    });

    it('cleans up a key whose lifetime elapsed before the save finished', async () => {
      const store = expiring.makeStoreWithInitialTtl(60_000);
      const name = resource('saved-expired');
      const key = new Key(name);
      key.reduceLifetime(-1);
      await expect(store.save(key)).rejects.toBeInstanceOf(LockExpiredError);
      expect(await store.exists(key)).toBe(false);
      const other = new Key(name);
      await store.save(other);
      await store.delete(other);
    });

    it('reports an expired acquisition as LockAcquiringError caused by LockExpiredError', async () => {
      const store = expiring.makeStoreWithInitialTtl(60_000);
      const lock = new LockFactory(store).createLock(resource('acquire-expired'), { ttl: 1e-9 });
      const error = await lock.acquire().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockAcquiringError);
      expect((error as Error).cause).toBeInstanceOf(LockExpiredError);
      expect(await lock.isAcquired()).toBe(false);
    });
  });
}
