// LockPermitStore over lock stores of each kind: an in-process one that waits and
// expires (InMemoryStore), a kernel one (FlockStore, keys unserializable), a server one
// (SqlStore on SQLite, expiring in whole seconds).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FlockStore,
  InMemoryStore,
  InvalidArgumentError,
  LockPermitStore,
  SemaphoreFactory,
  SemaphoreKey,
  UnserializableKeyError,
  createPermitStore,
} from '../../src/index.js';
import { runPermitConformance } from '../conformance/permits.js';

const memory = new InMemoryStore();
runPermitConformance({
  name: 'LockPermitStore over InMemoryStore',
  makeStore: () => new LockPermitStore(memory),
  expect: { blocking: false, expiring: true },
});

const dir = mkdtempSync(join(tmpdir(), 'lockwright-permits-'));
runPermitConformance({
  name: 'LockPermitStore over FlockStore',
  makeStore: () => new LockPermitStore(new FlockStore(dir)),
  expect: { blocking: false, expiring: false },
});

describe('LockPermitStore', () => {
  it('uses Symfony LockStore slot names <resource>_0 … <resource>_{limit-1}', async () => {
    const locks = new InMemoryStore();
    const store = new LockPermitStore(locks);
    const key = new SemaphoreKey('slots', 3, 3);
    await store.save(key, 10_000);
    const { Key } = await import('../../src/index.js');
    for (const slot of ['slots_0', 'slots_1', 'slots_2']) {
      await expect(locks.save(new Key(slot))).rejects.toThrow(/held by another owner|already/i);
    }
    await store.delete(key);
  });

  it('keys of a LockPermitStore do not serialize (their slot locks live in this process)', async () => {
    const store = new LockPermitStore(new InMemoryStore());
    const key = new SemaphoreKey('travel', 2);
    await store.save(key, 10_000);
    expect(() => key.toJSON()).toThrow(UnserializableKeyError);
    await store.delete(key);
  });

  it('gives back the slots it took when it cannot get its weight', async () => {
    const locks = new InMemoryStore();
    const store = new LockPermitStore(locks);
    const holder = new SemaphoreKey('shortfall', 3, 2);
    await store.save(holder, 10_000);
    await expect(store.save(new SemaphoreKey('shortfall', 3, 2), 10_000)).rejects.toThrow(/fewer than 2 of its 3 permits/);
    // The third slot was taken and given back: a weight of 1 fits.
    const one = new SemaphoreKey('shortfall', 3, 1);
    await store.save(one, 10_000);
    await store.delete(one);
    await store.delete(holder);
  });

  it('refuses what is not a lock store, and lock+ DSNs name what is wrong', () => {
    expect(() => new LockPermitStore(42 as never)).toThrow(InvalidArgumentError);
    expect(() => createPermitStore('lock+')).toThrow(/must be followed by a lock store DSN/);
    expect(() => createPermitStore('lock+lock+flock')).toThrow(/appears twice/);
    expect(() => createPermitStore('lock+nope://x')).toThrow(/Unsupported store DSN/);
    expect(() => createPermitStore('nope://x')).toThrow(/Unsupported permit store DSN "nope:\/\/x" \(expected .*lock\+/);
    expect(() => createPermitStore(7 as never)).toThrow(/new LockPermitStore\(store\)/);
  });

  it('lock+flock:///dir gives semaphores over flock(2) files', async () => {
    const store = createPermitStore(`lock+flock://${dir}`);
    const factory = new SemaphoreFactory(store);
    const a = factory.createSemaphore('dsn', 1);
    const b = factory.createSemaphore('dsn', 1);
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    await a.release();
    expect(await b.acquire()).toBe(true);
    await b.release();
    await store.close?.();
  });
});
