import { describe, expect, it } from 'vitest';
import { Key, LockAcquiringError, LockConflictedError, LockExpiredError, LockFactory, type PersistingStore } from '../../src/index.js';
import { MIN_TTL_MS } from '../../src/core/duration.js';
import { resourceNamer, type ConformanceTarget } from './context.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stores whose locks expire (TTL, refresh, putOffExpiration). */
export function expiringStoreSuite(target: ConformanceTarget): void {
  const resource = resourceNamer(target);
  const expiring = target.expiring!;
  // TTLs below are for millisecond stores; a store that keeps whole seconds (granularity
  // 1,000) gets each one stretched to at least two of its steps, and every poll limit
  // grows by four steps, so no test ever sits inside one step.
  const step = expiring.granularity ?? 1;
  const t = (ms: number) => Math.max(ms, 2 * step);
  const limit = 10_000 + 4 * step;

  describe(`${target.name}: expiring locks`, () => {
    it('frees a lock whose TTL ran out', async () => {
      // No window: whatever the load, a second owner may get in only once the TTL really
      // elapsed, and does get in once it has.
      const ttl = t(500);
      const store = expiring.makeStoreWithInitialTtl(ttl);
      const name = resource('expiry');
      const first = new Key(name);
      const before = performance.now();
      await store.save(first);
      const rival = new Key(name);
      const rivalIn = await store.save(rival).then(
        () => true,
        (error: unknown) => {
          expect(error).toBeInstanceOf(LockConflictedError);
          return false;
        },
      );
      if (rivalIn) {
        expect(performance.now() - before).toBeGreaterThanOrEqual(ttl - 2);
      } else {
        await expect.poll(() => store.exists(first), { timeout: limit, interval: 20 }).toBe(false);
        expect(performance.now() - before).toBeGreaterThanOrEqual(ttl - 2);
        rival.resetLifetime(); // a fresh attempt, as Lock makes it (the failed one set a lifetime)
        await store.save(rival);
      }
      expect(await store.exists(rival)).toBe(true);
      await store.delete(rival);
    });

    it('keeps a refreshed lock alive past its first TTL, and lets it expire when refreshed short', async () => {
      const factory = new LockFactory(expiring.makeStoreWithInitialTtl(60_000));
      const name = resource('refresh');
      const short = t(300);
      const lock = factory.createLock(name, { ttl: short });
      const before = Date.now();
      expect(await lock.acquire()).toBe(true);
      const remaining = lock.getRemainingLifetime()!;
      expect(remaining).toBeGreaterThan(0);
      expect(remaining).toBeLessThanOrEqual(short);
      const firstExpiry = before + short; // no later than this
      await lock.refresh(limit);
      // Past the first TTL (with ~9.5 s to spare for a loaded machine), still held.
      await sleep(Math.max(firstExpiry - Date.now(), 0) + 50);
      expect(await lock.isAcquired()).toBe(true);
      expect(lock.isExpired()).toBe(false);
      // Refreshed short, it expires on its own, in the store as on the client.
      await lock.refresh(t(100));
      await expect.poll(() => lock.isExpired(), { timeout: limit, interval: 20 }).toBe(true);
      await expect.poll(() => lock.isAcquired(), { timeout: limit, interval: 20 }).toBe(false);
      expect(await factory.createLock(name).acquire({ timeout: limit })).toBe(true);
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
      const store = expiring.makeStoreWithInitialTtl(t(500));
      const name = resource('put-off-expired');
      const first = new Key(name);
      await store.save(first);
      const second = new Key(name);
      // Taken over as soon as the first one's TTL ran out (however late that is noticed).
      await expect
        .poll(
          () => {
            second.resetLifetime(); // each attempt is a fresh one, as Lock makes it
            return store.save(second).then(() => true, () => false);
          },
          { timeout: limit, interval: 20 },
        )
        .toBe(true);
      await store.putOffExpiration(second, 60_000); // the newcomer stays while we look
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
