import { describe, expect, it } from 'vitest';
import { Key, LockConflictedError, LockFactory, type SharedLockStore } from '../../src/index.js';
import { resourceNamer, type ConformanceTarget } from './context.js';

/** Stores with read (shared) locks. */
export function sharedLockStoreSuite(target: ConformanceTarget<SharedLockStore>): void {
  const resource = resourceNamer(target);

  describe(`${target.name}: shared locks`, () => {
    it('lets readers share and keeps a writer out (read first)', async () => {
      const store = target.makeStore();
      const name = resource('read-first');
      const [r1, r2, w] = [new Key(name), new Key(name), new Key(name)];
      await store.saveRead(r1);
      await store.saveRead(r2);
      await expect(store.save(w)).rejects.toBeInstanceOf(LockConflictedError);
      await store.delete(r1);
      await expect(store.save(w)).rejects.toBeInstanceOf(LockConflictedError);
      await store.delete(r2);
      await store.save(w);
      expect(await store.exists(w)).toBe(true);
      await store.delete(w);
    });

    it('keeps readers out while a writer holds (write first)', async () => {
      const store = target.makeStore();
      const name = resource('write-first');
      const [w, r] = [new Key(name), new Key(name)];
      await store.save(w);
      await expect(store.saveRead(r)).rejects.toBeInstanceOf(LockConflictedError);
      expect(await store.exists(r)).toBe(false);
      await store.delete(w);
      await store.saveRead(r);
      expect(await store.exists(r)).toBe(true);
      await store.delete(r);
    });

    it('refuses to promote a reader while another reader holds', async () => {
      const factory = new LockFactory(target.makeStore());
      const name = resource('promote-refused');
      const reader = factory.createLock(name);
      const other = factory.createLock(name);
      expect(await reader.acquireRead()).toBe(true);
      expect(await other.acquireRead()).toBe(true);
      expect(await reader.acquire()).toBe(false);
      // A refused promotion leaves the lock cleanly unheld, not half-held.
      expect(await reader.isAcquired()).toBe(false);
      expect(await other.isAcquired()).toBe(true);
      await other.release();
      const writer = factory.createLock(name);
      expect(await writer.acquire()).toBe(true);
      await writer.release();
    });

    it('promotes the sole reader to writer', async () => {
      const factory = new LockFactory(target.makeStore());
      const name = resource('promote');
      const lock = factory.createLock(name);
      expect(await lock.acquireRead()).toBe(true);
      expect(await lock.acquire()).toBe(true);
      const reader = factory.createLock(name);
      expect(await reader.acquireRead()).toBe(false);
      await lock.release();
      expect(await reader.acquireRead()).toBe(true);
      await reader.release();
    });

    it('demotes a writer to reader, letting other readers in but no writer', async () => {
      const factory = new LockFactory(target.makeStore());
      const name = resource('demote');
      const lock = factory.createLock(name);
      expect(await lock.acquire()).toBe(true);
      expect(await lock.acquireRead()).toBe(true);
      expect(await lock.isAcquired()).toBe(true);
      const reader = factory.createLock(name);
      const writer = factory.createLock(name);
      expect(await reader.acquireRead()).toBe(true);
      expect(await writer.acquire()).toBe(false);
      await lock.release();
      await reader.release();
      expect(await writer.acquire()).toBe(true);
      await writer.release();
    });

    it('does not let a reader in beside a writer after an earlier read was released', async () => {
      // Symfony 7.2 InMemoryStore bug symfony/symfony#65115: read, release, write, then
      // a second key's read was granted beside the writer.
      const store = target.makeStore();
      const name = resource('read-release-write');
      const first = new Key(name);
      await store.saveRead(first);
      await store.delete(first);
      await store.save(first);
      await expect(store.saveRead(new Key(name))).rejects.toBeInstanceOf(LockConflictedError);
      await store.delete(first);
    });
  });
}
