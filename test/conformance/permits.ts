// The permit-store conformance suite: Symfony Semaphore's store tests (AbstractStoreTestCase:
// limit 2 with three keys, weights 2 + 2 in a limit of 4, putOffExpiration on a key never
// saved, saving twice), plus lockwright's own: the Semaphore API over the store, bounded and
// abortable waits, and expiry where permits expire. Every permit store runs it; its test
// file states the capabilities it expects, and the first test checks them.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  LockConflictedError,
  LockExpiredError,
  SemaphoreExpiredError,
  SemaphoreFactory,
  SemaphoreKey,
  isBlockingPermitStore,
  type BlockingPermitStore,
  type PermitStore,
} from '../../src/index.js';

export interface PermitConformanceTarget {
  name: string;
  /** A store for one test; several calls must give stores that see each other's permits. */
  makeStore(): PermitStore;
  /** Called with every resource name the suite uses (to clean kernel objects up afterwards). */
  onResource?(resource: string): void;
  expect: {
    /** waitAndSave: the store waits itself (no polling). */
    blocking: boolean;
    /** Permits expire after their TTL. */
    expiring: boolean;
  };
  /** Expiring stores: the store's clock step in ms (1,000 for whole seconds). Default 1. */
  granularity?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function runPermitConformance(target: PermitConformanceTarget): void {
  const resource = (label: string) => {
    const name = `permits-${label}-${randomUUID()}`;
    target.onResource?.(name);
    return name;
  };

  describe(`${target.name} permit-store conformance`, () => {
    it(`has the capabilities its test file declares: ${JSON.stringify(target.expect)}`, () => {
      expect(isBlockingPermitStore(target.makeStore())).toBe(target.expect.blocking);
    });

    it('saves, reports and deletes permits', async () => {
      const store = target.makeStore();
      const key = new SemaphoreKey(resource('save'), 1);
      expect(await store.exists(key)).toBe(false);
      await store.save(key, 10_000);
      expect(await store.exists(key)).toBe(true);
      await store.delete(key);
      expect(await store.exists(key)).toBe(false);
    });

    it('grants a limit of 2 to two keys and refuses the third until one is deleted', async () => {
      const store = target.makeStore();
      const name = resource('limit');
      const [a, b, c] = [new SemaphoreKey(name, 2), new SemaphoreKey(name, 2), new SemaphoreKey(name, 2)];
      await store.save(a, 10_000);
      await store.save(b, 10_000);
      await expect(store.save(c, 10_000)).rejects.toBeInstanceOf(LockConflictedError);
      expect(await store.exists(c)).toBe(false);
      await store.delete(a);
      await store.save(c, 10_000);
      expect(await store.exists(b)).toBe(true);
      expect(await store.exists(c)).toBe(true);
      await store.delete(b);
      await store.delete(c);
    });

    it('counts weights: 2 + 2 fill a limit of 4, a third key of weight 1 is refused', async () => {
      const store = target.makeStore();
      const name = resource('weights');
      const [a, b, c] = [new SemaphoreKey(name, 4, 2), new SemaphoreKey(name, 4, 2), new SemaphoreKey(name, 4, 1)];
      await store.save(a, 10_000);
      await store.save(b, 10_000);
      await expect(store.save(c, 10_000)).rejects.toBeInstanceOf(LockConflictedError);
      await store.delete(b);
      await store.save(c, 10_000);
      // 2 + 1 of 4 held: a key of weight 2 does not fit, one of weight 1 does.
      await expect(store.save(new SemaphoreKey(name, 4, 2), 10_000)).rejects.toBeInstanceOf(LockConflictedError);
      const d = new SemaphoreKey(name, 4, 1);
      await store.save(d, 10_000);
      for (const key of [a, c, d]) await store.delete(key);
    });

    it('treats saving a key twice as one holder', async () => {
      const store = target.makeStore();
      const name = resource('twice');
      const a = new SemaphoreKey(name, 2);
      await store.save(a, 10_000);
      await store.save(a, 10_000);
      const b = new SemaphoreKey(name, 2);
      await store.save(b, 10_000); // a counted once: b fits
      await store.delete(a);
      expect(await store.exists(a)).toBe(false);
      expect(await store.exists(b)).toBe(true);
      await store.delete(b);
    });

    it('keeps resources apart', async () => {
      const store = target.makeStore();
      const a = new SemaphoreKey(resource('a'), 1);
      const b = new SemaphoreKey(resource('b'), 1);
      await store.save(a, 10_000);
      await store.save(b, 10_000);
      await store.delete(a);
      await store.delete(b);
    });

    it('sees the permits of another store instance on the same backend', async () => {
      const [one, two] = [target.makeStore(), target.makeStore()];
      const name = resource('two-stores');
      const a = new SemaphoreKey(name, 1);
      await one.save(a, 10_000);
      await expect(two.save(new SemaphoreKey(name, 1), 10_000)).rejects.toBeInstanceOf(LockConflictedError);
      await one.delete(a);
      const b = new SemaphoreKey(name, 1);
      await two.save(b, 10_000);
      await two.delete(b);
    });

    it('puts off the expiration of held permits, and refuses a key that holds none', async () => {
      const store = target.makeStore();
      const name = resource('put-off');
      const held = new SemaphoreKey(name, 2);
      await store.save(held, 10_000);
      await store.putOffExpiration(held, 20_000);
      expect(await store.exists(held)).toBe(true);
      const never = new SemaphoreKey(name, 2);
      await expect(store.putOffExpiration(never, 20_000)).rejects.toBeInstanceOf(SemaphoreExpiredError);
      expect(await store.exists(never)).toBe(false);
      // The refused key took nothing: one permit is still free.
      const other = new SemaphoreKey(name, 2);
      await store.save(other, 10_000);
      await store.delete(other);
      await store.delete(held);
    });

    it('deleting a key that holds nothing is a no-op that frees nobody', async () => {
      const store = target.makeStore();
      const name = resource('delete-other');
      const held = new SemaphoreKey(name, 1);
      await store.save(held, 10_000);
      await store.delete(new SemaphoreKey(name, 1));
      expect(await store.exists(held)).toBe(true);
      await expect(store.save(new SemaphoreKey(name, 1), 10_000)).rejects.toBeInstanceOf(LockConflictedError);
      await store.delete(held);
    });

    describe('through SemaphoreFactory', () => {
      it('acquires, refuses beyond the limit, releases, and aborts the signal on release', async () => {
        const factory = new SemaphoreFactory(target.makeStore());
        const name = resource('api');
        const [a, b, c] = [factory.createSemaphore(name, 2), factory.createSemaphore(name, 2), factory.createSemaphore(name, 2)];
        expect(await a.acquire()).toBe(true);
        expect(await b.acquire()).toBe(true);
        expect(await c.acquire()).toBe(false);
        expect(c.getRemainingLifetime()).toBeNull();
        const signal = a.signal;
        expect(signal.aborted).toBe(false);
        await a.release();
        expect(signal.aborted).toBe(true);
        expect(await a.isAcquired()).toBe(false);
        expect(await c.acquire()).toBe(true);
        await b.release();
        await c.release();
      });

      it('a blocking acquire waits until permits are released', async () => {
        const factory = new SemaphoreFactory(target.makeStore());
        const name = resource('blocking');
        const holder = factory.createSemaphore(name, 3, { weight: 2 });
        const other = factory.createSemaphore(name, 3, { weight: 1 });
        expect(await holder.acquire()).toBe(true);
        expect(await other.acquire()).toBe(true);
        const waiter = factory.createSemaphore(name, 3, { weight: 2 });
        let granted = false;
        const waiting = waiter.acquire({ timeout: 20_000 }).then((held) => (granted = held));
        await sleep(150);
        expect(granted).toBe(false);
        await other.release(); // 2 of 3 held: a weight of 2 still does not fit
        await sleep(150);
        expect(granted).toBe(false);
        await holder.release();
        expect(await waiting).toBe(true);
        expect(await waiter.isAcquired()).toBe(true);
        await waiter.release();
      });

      it('a timed-out acquire resolves false and an aborted one rejects with the reason, holding nothing', async () => {
        const factory = new SemaphoreFactory(target.makeStore());
        const name = resource('bounded');
        const holder = factory.createSemaphore(name, 1);
        expect(await holder.acquire()).toBe(true);
        const timed = factory.createSemaphore(name, 1);
        expect(await timed.acquire({ timeout: 200 })).toBe(false);
        expect(await timed.isAcquired()).toBe(false);
        const controller = new AbortController();
        const reason = new Error('no more waiting');
        const aborted = factory.createSemaphore(name, 1);
        const waiting = aborted.acquire({ signal: controller.signal });
        setTimeout(() => controller.abort(reason), 100);
        await expect(waiting).rejects.toBe(reason);
        await holder.release();
        // Nothing leaked: one permit, and a fresh try gets it.
        const probe = factory.createSemaphore(name, 1);
        expect(await probe.acquire()).toBe(true);
        expect(await aborted.isAcquired()).toBe(false);
        await probe.release();
      });

      it('releases at the end of an `await using` scope', async () => {
        const factory = new SemaphoreFactory(target.makeStore());
        const name = resource('using');
        {
          await using semaphore = factory.createSemaphore(name, 1);
          expect(await semaphore.acquire()).toBe(true);
        }
        const next = factory.createSemaphore(name, 1);
        expect(await next.acquire()).toBe(true);
        await next.release();
      });
    });

    if (target.expect.blocking) {
      describe('blocking waits', () => {
        it('waits in the store until permits free, and gives up with LockConflictedError at its timeout', async () => {
          const store = target.makeStore() as BlockingPermitStore;
          const name = resource('store-wait');
          const holder = new SemaphoreKey(name, 2, 2);
          await store.save(holder, 10_000);
          const timed = new SemaphoreKey(name, 2, 1);
          await expect(store.waitAndSave(timed, 10_000, { timeout: 100 })).rejects.toBeInstanceOf(LockConflictedError);
          expect(await store.exists(timed)).toBe(false);
          const waiter = new SemaphoreKey(name, 2, 1);
          let granted = false;
          const waiting = store.waitAndSave(waiter, 10_000, { timeout: 20_000 }).then(() => (granted = true));
          await sleep(100);
          expect(granted).toBe(false);
          await store.delete(holder);
          await waiting;
          expect(await store.exists(waiter)).toBe(true);
          // One permit of 2 is still free: the wait took only its weight.
          const other = new SemaphoreKey(name, 2, 1);
          await store.save(other, 10_000);
          await store.delete(other);
          await store.delete(waiter);
        });
      });
    }

    if (target.expect.expiring) {
      const step = target.granularity ?? 1;
      describe('expiring permits', () => {
        it('frees the permits of a holder whose TTL ran out', async () => {
          const store = target.makeStore();
          const name = resource('expiry');
          // Long enough that the refused save below surely comes before the expiry.
          const ttl = Math.max(2_000, step);
          const holder = new SemaphoreKey(name, 1);
          await store.save(holder, ttl);
          expect(holder.getRemainingLifetime()).not.toBeNull();
          await expect(store.save(new SemaphoreKey(name, 1), 10_000)).rejects.toBeInstanceOf(LockConflictedError);
          await sleep(ttl + step + 100);
          const next = new SemaphoreKey(name, 1);
          await store.save(next, 10_000);
          await store.delete(next);
        });

        it('a Semaphore whose permits expired reports it: refresh throws, signal aborted', async () => {
          const factory = new SemaphoreFactory(target.makeStore());
          const name = resource('expired-api');
          const ttl = Math.max(100, step);
          const semaphore = factory.createSemaphore(name, 1, { ttl });
          expect(await semaphore.acquire()).toBe(true);
          const signal = semaphore.signal;
          const taker = factory.createSemaphore(name, 1);
          await sleep(ttl + step + 100);
          expect(semaphore.isExpired()).toBe(true);
          expect(signal.aborted).toBe(true);
          expect(signal.reason).toBeInstanceOf(LockExpiredError);
          expect(await taker.acquire()).toBe(true);
          await expect(semaphore.refresh()).rejects.toBeInstanceOf(LockExpiredError);
          await taker.release();
        });
      });
    }
  });
}
