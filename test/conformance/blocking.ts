import { describe, expect, it } from 'vitest';
import { Key, LockConflictedError, LockFactory, isBlockingSharedLockStore, type BlockingStore } from '../../src/index.js';
import { resourceNamer, type ConformanceTarget } from './context.js';

/** Stores that wait themselves (waitAndSave, and waitAndSaveRead when shared). */
export function blockingStoreSuite(target: ConformanceTarget<BlockingStore>): void {
  const resource = resourceNamer(target);

  describe(`${target.name}: blocking waits`, () => {
    it('waits until the holder releases', async () => {
      const store = target.makeStore();
      const name = resource('wait');
      const holder = new Key(name);
      const waiter = new Key(name);
      await store.save(holder);
      let granted = false;
      const waiting = store.waitAndSave(waiter).then(() => (granted = true));
      await new Promise((r) => setTimeout(r, 50));
      expect(granted).toBe(false);
      await store.delete(holder);
      await waiting;
      expect(await store.exists(waiter)).toBe(true);
      await store.delete(waiter);
    });

    it('gives up with LockConflictedError when the timeout runs out, holding nothing', async () => {
      const store = target.makeStore();
      const name = resource('timeout');
      const holder = new Key(name);
      const waiter = new Key(name);
      await store.save(holder);
      const started = performance.now();
      await expect(store.waitAndSave(waiter, { timeout: 80 })).rejects.toBeInstanceOf(LockConflictedError);
      expect(performance.now() - started).toBeGreaterThanOrEqual(75);
      expect(await store.exists(waiter)).toBe(false);
      await store.delete(holder);
      // Nothing leaked, not even for a moment: the wait settled only once nothing (no
      // waiter thread the kernel could hand the lock to) was left behind, so a single
      // non-blocking try right after the release succeeds.
      const probe = new Key(name);
      await store.save(probe);
      expect(await store.exists(probe)).toBe(true);
      await store.delete(probe);
    });

    it('rejects with the abort reason, holding nothing, also when the lock frees right after', async () => {
      const store = target.makeStore();
      const name = resource('abort');
      const holder = new Key(name);
      const waiter = new Key(name);
      await store.save(holder);
      const controller = new AbortController();
      const reason = new Error('stop waiting');
      const waiting = store.waitAndSave(waiter, { signal: controller.signal });
      let freed: Promise<void> | undefined;
      setTimeout(() => {
        controller.abort(reason);
        freed = store.delete(holder);
      }, 30);
      await expect(waiting).rejects.toBe(reason);
      expect(await store.exists(waiter)).toBe(false);
      // Once the holder's release is done (a remote delete may still be in flight when the
      // wait has rejected), a single try must find the lock free: the aborted waiter took
      // nothing, also if the release raced its abort.
      await freed;
      const probe = new Key(name);
      await store.save(probe);
      await store.delete(probe);
    });

    it('keeps waiting with a timeout beyond what one timer can hold (2^31 ms)', async () => {
      const store = target.makeStore();
      const name = resource('huge-timeout');
      const holder = new Key(name);
      await store.save(holder);
      const waiter = new Key(name);
      let settled = false;
      const waiting = store.waitAndSave(waiter, { timeout: 3e9 }).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 50));
      expect(settled).toBe(false);
      await store.delete(holder);
      await waiting;
      expect(await store.exists(waiter)).toBe(true);
      await store.delete(waiter);
    });

    it('serves in-process waiters first in, first out', async () => {
      const store = target.makeStore();
      const name = resource('fifo');
      const holder = new Key(name);
      await store.save(holder);
      const order: number[] = [];
      const keys = [0, 1, 2, 3].map(() => new Key(name));
      const waits = keys.map((key, i) =>
        store.waitAndSave(key).then(async () => {
          order.push(i);
          await store.delete(key);
        }),
      );
      await new Promise((r) => setTimeout(r, 30));
      await store.delete(holder);
      await Promise.all(waits);
      expect(order).toEqual([0, 1, 2, 3]);
    });

    it('makes Lock.acquire({ timeout }) return false and acquire(true) wait', async () => {
      const factory = new LockFactory(target.makeStore());
      const name = resource('lock-wait');
      const holder = factory.createLock(name);
      const waiter = factory.createLock(name);
      await holder.acquire();
      expect(await waiter.acquire({ timeout: 30 })).toBe(false);
      const acquired = waiter.acquire(true);
      setTimeout(() => void holder.release(), 30);
      expect(await acquired).toBe(true);
      await waiter.release();
    });

    const probe = target.makeStore();
    if (isBlockingSharedLockStore(probe)) it('waits for a read lock until the writer releases', async () => {
        const store = target.makeStore() as typeof probe;
        const name = resource('wait-read');
        const writer = new Key(name);
        await store.save(writer);
        const readers = [new Key(name), new Key(name)];
        const waits = readers.map((k) => store.waitAndSaveRead(k));
        setTimeout(() => void store.delete(writer), 30);
        await Promise.all(waits);
        for (const k of readers) expect(await store.exists(k)).toBe(true);
        for (const k of readers) await store.delete(k);
    });

    if (isBlockingSharedLockStore(probe)) it('makes a blocking promotion wait until the other readers leave', async () => {
        const factory = new LockFactory(target.makeStore());
        const name = resource('promote-wait');
        const [reader, other] = [factory.createLock(name), factory.createLock(name)];
        expect(await reader.acquireRead()).toBe(true);
        expect(await other.acquireRead()).toBe(true);
        let promoted = false;
        const promoting = reader.acquire({ timeout: 5_000 }).then((held) => (promoted = held));
        await new Promise((r) => setTimeout(r, 50));
        expect(promoted).toBe(false);
        await other.release();
        expect(await promoting).toBe(true);
        expect(await factory.createLock(name).acquireRead()).toBe(false);
        await reader.release();
    });
  });
}
