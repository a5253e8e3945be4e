import { describe, expect, it } from 'vitest';
import { Key, LockFactory, UnserializableKeyError } from '../../src/index.js';
import { resourceNamer, type ConformanceTarget } from './context.js';

/** Local stores: a key that holds a lock in this process cannot travel. */
export function unserializableKeySuite(target: ConformanceTarget): void {
  const resource = resourceNamer(target);

  describe(`${target.name}: keys bound to this process`, () => {
    it('refuses to serialize a key once it has held a lock, even after release', async () => {
      const store = target.makeStore();
      const key = new Key(resource('unserializable'));
      expect(() => key.toJSON()).not.toThrow();
      await store.save(key);
      expect(() => key.toJSON()).toThrow(UnserializableKeyError);
      expect(() => JSON.stringify(key)).toThrow(UnserializableKeyError);
      await store.delete(key);
      expect(() => key.toJSON()).toThrow(UnserializableKeyError);
    });

    it('says so through the Lock API too', async () => {
      const lock = new LockFactory(target.makeStore()).createLock(resource('unserializable-lock'));
      await lock.acquire();
      expect(() => lock.key.toJSON()).toThrow(/cannot be serialized/);
      await lock.release();
    });
  });
}
