import { describe, expect, it } from 'vitest';
import { Key, LockConflictedError, LockFactory } from '../../src/index.js';
import { resourceNamer, type ConformanceTarget } from './context.js';

/** Remote stores: a key travels (toJSON/fromJSON) and the receiver owns the lock. */
export function transferableKeySuite(target: ConformanceTarget): void {
  const resource = resourceNamer(target);

  describe(`${target.name}: keys that travel`, () => {
    it('lets a received key check, refresh and release the lock, and nobody else', async () => {
      const store = target.makeStore();
      const name = resource('transfer');
      const key = new Key(name);
      await store.save(key);
      const received = Key.fromJSON(JSON.parse(JSON.stringify(key)));
      const other = target.makeStore();
      expect(await other.exists(received)).toBe(true);
      await other.putOffExpiration(received, 60_000);
      await expect(other.save(new Key(name))).rejects.toBeInstanceOf(LockConflictedError);
      await other.delete(received);
      expect(await store.exists(key)).toBe(false);
    });

    it('serves createLockFromKey({ autoRelease: false }) in the receiver', async () => {
      const name = resource('transfer-lock');
      const lock = new LockFactory(target.makeStore()).createLock(name, { autoRelease: false });
      expect(await lock.acquire()).toBe(true);
      const adopted = new LockFactory(target.makeStore()).createLockFromKey(Key.fromJSON(JSON.stringify(lock.key)), {
        autoRelease: false,
      });
      await adopted.refresh();
      expect(await adopted.isAcquired()).toBe(true);
      await adopted.release();
      expect(await lock.isAcquired()).toBe(false);
    });
  });
}
