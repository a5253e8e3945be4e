import { describe, expect, it } from 'vitest';
import { InMemoryStore, InvalidTtlError, Key } from '../../../src/index.js';
import { runConformance } from '../../conformance/index.js';

const shared = new InMemoryStore();

runConformance({
  name: 'InMemoryStore',
  makeStore: () => shared,
  expiring: { makeStoreWithInitialTtl: (initialTtl) => new InMemoryStore({ initialTtl }) },
});

describe('InMemoryStore', () => {
  it('keeps separate instances separate', async () => {
    const key = new Key('separate');
    await new InMemoryStore().save(key);
    await new InMemoryStore().save(new Key('separate'));
    expect(await new InMemoryStore().exists(key)).toBe(false);
  });

  it('rejects a bad initialTtl with a typed error naming it', () => {
    for (const bad of [0, -5, Number.NaN, Infinity, '10', {}]) {
      expect(() => new InMemoryStore({ initialTtl: bad as number })).toThrow(InvalidTtlError);
      expect(() => new InMemoryStore({ initialTtl: bad as number })).toThrow(/initialTtl/);
    }
  });

  it('lets a key that was handed over (toJSON/fromJSON) release the lock', async () => {
    const store = new InMemoryStore();
    const key = new Key('hand-over');
    await store.save(key);
    const received = Key.fromJSON(JSON.parse(JSON.stringify(key)));
    expect(await store.exists(received)).toBe(true);
    await store.delete(received);
    expect(await store.exists(key)).toBe(false);
  });
});
