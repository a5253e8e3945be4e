import { describe, expect, it } from 'vitest';
import { Key, LockAcquiringError, LockConflictedError, LockExpiredError, LockFactory, type PersistingStore } from '../../src/index.js';
import { MIN_TTL_MS } from '../../src/core/duration.js';
import { resourceNamer, type ConformanceTarget } from './context.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stores whose locks expire (TTL, refresh, putOffExpiration). */
export function expiringStoreSuite(target: ConformanceTarget): void {
  const resource = resourceNamer(target);
  const expiring = target.expiring!;

  describe(`${target.name}: expiring locks`, () => {
    it('frees a lock whose TTL ran out', async () => {
      const store = expiring.makeStoreWithInitialTtl(60);
      const name = resource('expiry');
      const first = new Key(name);
      await store.save(first);
      await expect(store.save(new Key(name))).rejects.toBeInstanceOf(LockConflictedError);
      await sleep(90);
      expect(await store.exists(first)).toBe(false);
      const second = new Key(name);
      await store.save(second);
      expect(await store.exists(second)).toBe(true);
      await store.delete(second);
    });

    it('keeps a refreshed lock alive past its first TTL', async () => {
      const factory = new LockFactory(expiring.makeStoreWithInitialTtl(60_000));
      const name = resource('refresh');
      const lock = factory.createLock(name, { ttl: 80 });
      expect(await lock.acquire()).toBe(true);
      const remaining = lock.getRemainingLifetime()!;
      expect(remaining).toBeGreaterThan(0);
      expect(remaining).toBeLessThanOrEqual(80);
      await sleep(50);
      await lock.refresh();
      await sleep(50);
      expect(await lock.isAcquired()).toBe(true);
      expect(lock.isExpired()).toBe(false);
      await sleep(60);
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
      const store = expiring.makeStoreWithInitialTtl(40);
      const name = resource('put-off-expired');
      const first = new Key(name);
      await store.save(first);
      await sleep(60);
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
      const inner = expiring.makeStoreWithInitialTtl(60_000);
      // The shortest TTL there is, and a store that answers after it ran out (a wrapper
      // that holds every reply back: the store itself does the work).
      const late = async <T>(work: Promise<T>): Promise<T> => {
        const result = await work;
        await sleep(40);
        return result;
      };
      const store: PersistingStore = {
        save: (key) => late(inner.save(key)),
        delete: (key) => inner.delete(key),
        exists: (key) => inner.exists(key),
        putOffExpiration: (key, ttl) => late(inner.putOffExpiration(key, ttl)),
      };
      const lock = new LockFactory(store).createLock(resource('acquire-expired'), { ttl: MIN_TTL_MS });
      const error = await lock.acquire().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockAcquiringError);
      expect((error as Error).cause).toBeInstanceOf(LockExpiredError);
      expect(await lock.isAcquired()).toBe(false);
    });
  });
}
