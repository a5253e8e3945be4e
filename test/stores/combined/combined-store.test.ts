import { describe, expect, it } from 'vitest';
import {
  CombinedStore,
  ConsensusStrategy,
  InMemoryStore,
  InvalidArgumentError,
  Key,
  LockConflictedError,
  LockFactory,
  RedisStore,
  UnanimousStrategy,
  type PersistingStore,
} from '../../../src/index.js';
import { runConformance } from '../../conformance/index.js';
import { RedisServer, eventually, ready } from '../../helpers/redis-server.js';

const servers = await Promise.all([RedisServer.start(), RedisServer.start(), RedisServer.start()]);
const clients = await Promise.all(servers.map((s) => ready(s.client())));

const combined = (strategy = new ConsensusStrategy(), initialTtl?: number) =>
  new CombinedStore(
    clients.map((c) => new RedisStore(c, initialTtl === undefined ? {} : { initialTtl })),
    strategy,
  );

runConformance({
  name: 'CombinedStore (3 Redis, consensus)',
  expect: { blocking: false, shared: true, expiring: true },
  makeStore: () => combined(),
  transferable: true,
  expiring: { makeStoreWithInitialTtl: (initialTtl) => combined(new ConsensusStrategy(), initialTtl) },
});

runConformance({ name: 'CombinedStore (3 Redis, unanimous)', makeStore: () => combined(new UnanimousStrategy()), expect: { blocking: false, shared: true, expiring: false } });

describe('strategies', () => {
  it.each([
    [1, 1, true], [0, 1, false], [2, 3, true], [1, 3, false], [2, 4, false], [3, 4, true], [0, 0, false],
  ])('consensus: %i of %i is met: %s', (successes, stores, met) => {
    expect(new ConsensusStrategy().isMet(successes, stores)).toBe(met);
  });

  it.each([
    [0, 3, true], [1, 3, true], [2, 3, false], [1, 2, false], [0, 2, true],
  ])('consensus: %i failures of %i can still be met: %s', (failures, stores, can) => {
    expect(new ConsensusStrategy().canBeMet(failures, stores)).toBe(can);
  });

  it('unanimous needs every store', () => {
    const s = new UnanimousStrategy();
    expect([s.isMet(3, 3), s.isMet(2, 3), s.isMet(0, 0), s.canBeMet(0, 3), s.canBeMet(1, 3)]).toEqual([true, false, true, true, false]);
  });
});

/** A store whose every call fails, as a dead server's would. */
const broken: PersistingStore = {
  save: async () => Promise.reject(new Error('down')),
  delete: async () => Promise.reject(new Error('down')),
  exists: async () => Promise.reject(new Error('down')),
  putOffExpiration: async () => Promise.reject(new Error('down')),
};

describe('CombinedStore quorum', () => {
  it('holds with 2 of 3 stores and counts a throwing store as a failure', async () => {
    const [a, b] = [new InMemoryStore(), new InMemoryStore()];
    const store = new CombinedStore([a, b, broken], new ConsensusStrategy());
    const key = new Key('quorum-ok');
    await store.save(key);
    expect(await store.exists(key)).toBe(true);
    await store.putOffExpiration(key, 1_000);
    await store.delete(key);
    expect(await a.exists(key)).toBe(false);
  });

  it('rolls an acquisition that missed its quorum back on the stores that took it', async () => {
    const [a, b, c] = [new InMemoryStore(), new InMemoryStore(), new InMemoryStore()];
    const rival = new Key('rollback');
    await b.save(rival);
    await c.save(rival);
    const store = new CombinedStore([a, b, c], new ConsensusStrategy());
    const key = new Key('rollback');
    await expect(store.save(key)).rejects.toBeInstanceOf(LockConflictedError);
    expect(await a.exists(key)).toBe(false);
    await expect(new CombinedStore([a, broken], new UnanimousStrategy()).save(key)).rejects.toBeInstanceOf(LockConflictedError);
    expect(await a.exists(key)).toBe(false);
  });

  it('falls back to write locks on sub-stores without read locks', async () => {
    const exclusiveOnly: PersistingStore = new InMemoryStore();
    const stripped: PersistingStore = {
      save: (k) => exclusiveOnly.save(k),
      delete: (k) => exclusiveOnly.delete(k),
      exists: (k) => exclusiveOnly.exists(k),
      putOffExpiration: (k, t) => exclusiveOnly.putOffExpiration(k, t),
    };
    const store = new CombinedStore([stripped, new InMemoryStore()], new UnanimousStrategy());
    const [r1, r2] = [new Key('fallback-read'), new Key('fallback-read')];
    await store.saveRead(r1);
    await expect(store.saveRead(r2)).rejects.toBeInstanceOf(LockConflictedError);
    await store.delete(r1);
  });

  it('gives no fencing token (independent counters do not order holders)', async () => {
    const lock = new LockFactory(combined()).createLock('combined-fence');
    expect(await lock.acquire()).toBe(true);
    expect(lock.fencingToken).toBeUndefined();
    await lock.release();
  });

  it('rejects what is not a store or a strategy', () => {
    expect(() => new CombinedStore([{} as PersistingStore], new ConsensusStrategy())).toThrow(InvalidArgumentError);
    expect(() => new CombinedStore('x' as never, new ConsensusStrategy())).toThrow(/array of stores/);
    expect(() => new CombinedStore([new InMemoryStore()], {} as never)).toThrow(/strategy/);
  });

  it('refuses an empty list of stores (no quorum of nothing)', () => {
    for (const strategy of [new ConsensusStrategy(), new UnanimousStrategy()]) {
      expect(() => new CombinedStore([], strategy)).toThrow(InvalidArgumentError);
      expect(() => new CombinedStore([], strategy)).toThrow(/at least one store.*empty array/);
    }
  });
});

describe('CombinedStore over three real servers with one down', () => {
  it('keeps working with consensus, refuses with unanimity, and recovers', async () => {
    const factory = new LockFactory(combined());
    const unanimous = new LockFactory(combined(new UnanimousStrategy()));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await servers[2]!.stop();
      const lock = factory.createLock('one-down', { ttl: 10_000 });
      expect(await lock.acquire()).toBe(true);
      expect(await lock.isAcquired()).toBe(true);
      expect(await factory.createLock('one-down').acquire()).toBe(false);
      await lock.refresh();
      const blocked = unanimous.createLock('one-down-unanimous');
      expect(await blocked.acquire()).toBe(false);
      await lock.release();
      expect(await lock.isAcquired()).toBe(false);
      await servers[2]!.restart();
      await eventually(() => clients[2]!.ping());
      expect(await blocked.acquire()).toBe(true);
      await blocked.release();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
