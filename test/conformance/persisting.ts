import { describe, expect, it } from 'vitest';
import { Key, LockConflictedError, LockFactory } from '../../src/index.js';
import { resourceNamer, type ConformanceTarget } from './context.js';

/** Every store: save / exists / delete and exclusion between keys. */
export function persistingStoreSuite(target: ConformanceTarget): void {
  const resource = resourceNamer(target);

  describe(`${target.name}: persisting store`, () => {
    it('saves, reports and deletes a lock', async () => {
      const store = target.makeStore();
      const key = new Key(resource('save'));
      expect(await store.exists(key)).toBe(false);
      await store.save(key);
      expect(await store.exists(key)).toBe(true);
      await store.delete(key);
      expect(await store.exists(key)).toBe(false);
    });

    it('keeps locks on different resources apart', async () => {
      const store = target.makeStore();
      const a = new Key(resource('a'));
      const b = new Key(resource('b'));
      await store.save(a);
      await store.save(b);
      expect(await store.exists(a)).toBe(true);
      expect(await store.exists(b)).toBe(true);
      await store.delete(a);
      expect(await store.exists(b)).toBe(true);
      await store.delete(b);
    });

    it('refuses a second key on the same resource, in the same process', async () => {
      const store = target.makeStore();
      const name = resource('conflict');
      const first = new Key(name);
      const second = new Key(name);
      await store.save(first);
      await expect(store.save(second)).rejects.toBeInstanceOf(LockConflictedError);
      expect(await store.exists(second)).toBe(false);
      expect(await store.exists(first)).toBe(true);
      await store.delete(first);
      await store.save(second);
      expect(await store.exists(second)).toBe(true);
      await store.delete(second);
    });

    it('refuses across two store instances on the same backend', async () => {
      const [one, two] = [target.makeStore(), target.makeStore()];
      const name = resource('two-stores');
      const first = new Key(name);
      await one.save(first);
      await expect(two.save(new Key(name))).rejects.toBeInstanceOf(LockConflictedError);
      await one.delete(first);
    });

    it('treats saving twice with the same key as a no-op', async () => {
      const store = target.makeStore();
      const key = new Key(resource('twice'));
      await store.save(key);
      await store.save(key);
      expect(await store.exists(key)).toBe(true);
      await store.delete(key);
      expect(await store.exists(key)).toBe(false);
    });

    it('ignores a delete by a key that does not hold the lock', async () => {
      const store = target.makeStore();
      const name = resource('delete-isolation');
      const holder = new Key(name);
      const other = new Key(name);
      await store.save(holder);
      await store.delete(other);
      expect(await store.exists(holder)).toBe(true);
      await expect(store.save(new Key(name))).rejects.toBeInstanceOf(LockConflictedError);
      await store.delete(holder);
    });

    it('serves the Lock API: acquire, isAcquired, release, acquire again', async () => {
      const factory = new LockFactory(target.makeStore());
      const name = resource('lock-api');
      const lock = factory.createLock(name);
      const rival = factory.createLock(name);
      expect(await lock.acquire()).toBe(true);
      expect(await lock.acquire()).toBe(true);
      expect(await lock.isAcquired()).toBe(true);
      expect(await rival.acquire()).toBe(false);
      expect(await rival.isAcquired()).toBe(false);
      await lock.release();
      expect(await lock.isAcquired()).toBe(false);
      expect(await rival.acquire()).toBe(true);
      await rival.release();
    });
  });
}
