import type { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  InvalidTtlError,
  Key,
  LockConflictedError,
  LockFactory,
  RedisStore,
  type RedisClient,
} from '../../../src/index.js';
import { runConformance } from '../../conformance/index.js';
import { RedisServer, eventually, ready, waitingFor } from '../../helpers/redis-server.js';

const server = await RedisServer.start();
const client = await ready(server.client());
const admin = await ready(server.client());

runConformance({
  name: 'RedisStore',
  expect: { blocking: true, shared: true, blockingShared: true, expiring: true },
  makeStore: () => new RedisStore(client),
  transferable: true,
  expiring: { makeStoreWithInitialTtl: (initialTtl) => new RedisStore(client, { initialTtl }) },
});

describe('RedisStore data layout (Symfony RedisStore)', () => {
  it('keeps one sorted set per resource: token and __write__ scored with the expiry in ms, PEXPIREAT at the last', async () => {
    const store = new RedisStore(client, { initialTtl: 10_000 });
    const key = new Key('layout-write');
    const before = Date.now();
    await store.save(key);
    expect(await admin.type('layout-write')).toBe('zset');
    const members = await admin.zrange('layout-write', 0, -1, 'WITHSCORES');
    expect(members).toHaveLength(4);
    expect(members).toContain('__write__');
    const scores = [Number(members[1]), Number(members[3])];
    for (const score of scores) {
      expect(score).toBeGreaterThanOrEqual(before + 10_000 - 50);
      expect(score).toBeLessThanOrEqual(Date.now() + 10_000 + 50);
    }
    expect(await admin.pexpiretime('layout-write')).toBe(Math.max(...scores));
    await store.delete(key);
    expect(await admin.exists('layout-write')).toBe(0);
  });

  it('keeps readers as members without __write__', async () => {
    const store = new RedisStore(client);
    const [a, b] = [new Key('layout-read'), new Key('layout-read')];
    await store.saveRead(a);
    await store.saveRead(b);
    const members = await admin.zrange('layout-read', 0, -1);
    expect(members).toHaveLength(2);
    expect(members).not.toContain('__write__');
    await store.delete(a);
    await store.delete(b);
  });

  it('treats a string key (Symfony < 5.2 format) as held by someone else', async () => {
    await admin.set('old-format', 'some-token', 'PX', 10_000);
    const store = new RedisStore(client);
    const key = new Key('old-format');
    await expect(store.save(key)).rejects.toBeInstanceOf(LockConflictedError);
    await expect(store.saveRead(key)).rejects.toBeInstanceOf(LockConflictedError);
    expect(await store.exists(key)).toBe(false);
    await store.delete(key);
    expect(await admin.get('old-format')).toBe('some-token');
  });

  it('uses 128-bit random tokens, kept in the key state', async () => {
    const store = new RedisStore(client);
    const key = new Key('token-size');
    await store.save(key);
    const token = (await admin.zrange('token-size', 0, -1)).find((m) => m !== '__write__')!;
    expect(Buffer.from(token, 'base64url')).toHaveLength(16);
    expect(Object.values(key.toJSON().state)).toContain(token);
    await store.delete(key);
  });

  it('falls back to EVAL when the server forgot the scripts (SCRIPT FLUSH)', async () => {
    const store = new RedisStore(client);
    const key = new Key('noscript');
    await store.save(key);
    await admin.script('FLUSH');
    expect(await store.exists(key)).toBe(true);
    await store.delete(key);
    expect(await store.exists(key)).toBe(false);
  });

  it('rejects bad options and non-clients with typed errors naming them', () => {
    for (const bad of [0, -1, Number.NaN, Infinity, '10']) {
      expect(() => new RedisStore(client, { initialTtl: bad as number })).toThrow(InvalidTtlError);
      expect(() => new RedisStore(client, { initialTtl: bad as number })).toThrow(/initialTtl/);
      expect(() => new RedisStore(client, { pollInterval: bad as number })).toThrow(/pollInterval/);
    }
    // Type-checked only: an ioredis Cluster is a RedisClient as it is.
    const acceptsCluster = (cluster: Cluster) => new RedisStore(cluster);
    expect(acceptsCluster).toBeTypeOf('function');
    expect(() => new RedisStore({} as never)).toThrow(InvalidArgumentError);
    expect(() => new RedisStore(null as never)).toThrow(/ioredis client/);
  });
});

describe('RedisStore waits', () => {
  // Timing claims (a hand-off in about a round trip) belong to the benchmark; these
  // tests only tell a message from a poll, with polls far longer than their bounds.
  it('wakes a waiter on release, long before its poll would', async () => {
    const store = new RedisStore(client, { pollInterval: 60_000 });
    const holder = new Key('wake');
    await store.save(holder);
    const waiter = new Key('wake');
    const waiting = store.waitAndSave(waiter);
    await waitingFor(admin, 'wake');
    const released = performance.now();
    await store.delete(holder);
    await waiting;
    expect(performance.now() - released).toBeLessThan(10_000);
    await store.delete(waiter);
  });

  it('retries when the holder expires, without a release message', async () => {
    const store = new RedisStore(client, { initialTtl: 150, pollInterval: 60_000 });
    await store.save(new Key('expire-wake'));
    const started = performance.now();
    const waiter = new Key('expire-wake');
    await store.waitAndSave(waiter, { timeout: 5_000 });
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThan(100);
    expect(waited).toBeLessThan(10_000); // the key's TTL bounds the poll, not pollInterval
    await store.delete(waiter);
  });

  it('polls at pollInterval for holders that do not publish', async () => {
    const store = new RedisStore(client, { pollInterval: 300 });
    // A holder written directly, as a PHP process would: no release message, 60 s to live.
    await admin.zadd('silent', Date.now() + 60_000, 'php-token', Date.now() + 60_000, '__write__');
    await admin.pexpire('silent', 60_000);
    const waiter = new Key('silent');
    const waiting = store.waitAndSave(waiter, { timeout: 30_000 });
    await waitingFor(admin, 'silent');
    await admin.del('silent');
    const deleted = performance.now();
    await waiting;
    expect(performance.now() - deleted).toBeLessThan(10_000); // a poll, not the holder's 60 s
    await store.delete(waiter);
  });

  it('wakes readers when a writer demotes itself', async () => {
    const store = new RedisStore(client, { pollInterval: 60_000 });
    const factory = new LockFactory(store);
    const writer = factory.createLock('demote-wake');
    await writer.acquire();
    const reader = factory.createLock('demote-wake');
    const waiting = reader.acquireRead(true);
    await waitingFor(admin, 'demote-wake');
    const demoted = performance.now();
    await writer.acquireRead();
    expect(await waiting).toBe(true);
    expect(performance.now() - demoted).toBeLessThan(10_000);
    await reader.release();
    await writer.release();
  });

  it('still waits (by polling) on a client that cannot make a subscriber connection', async () => {
    const bare = {
      evalsha: client.evalsha.bind(client),
      eval: client.eval.bind(client),
      duplicate: () => {
        throw new Error('no second connection here');
      },
    } as unknown as RedisClient;
    const store = new RedisStore(bare, { pollInterval: 50 });
    const holder = new Key('no-subscriber');
    await store.save(holder);
    const waiter = new Key('no-subscriber');
    const waiting = store.waitAndSave(waiter, { timeout: 5_000 });
    setTimeout(() => void store.delete(holder), 30);
    await waiting;
    expect(await store.exists(waiter)).toBe(true);
    await store.delete(waiter);
  });

  it('tries once with timeout 0: granted when free, false when held', async () => {
    const factory = new LockFactory(new RedisStore(client));
    const lock = factory.createLock('timeout-zero');
    expect(await lock.acquire({ timeout: 0 })).toBe(true);
    const rival = factory.createLock('timeout-zero');
    const started = performance.now();
    expect(await rival.acquire({ timeout: 0 })).toBe(false);
    expect(performance.now() - started).toBeLessThan(5_000); // one try: no wait for the holder
    await lock.release();
    expect(await rival.acquireRead({ timeout: 0 })).toBe(true);
    await rival.release();
  });

  it('never leaves a cancelled wait holding the lock, whatever the timing', async () => {
    const store = new RedisStore(client, { pollInterval: 20 });
    const name = 'cancel-race';
    for (let round = 0; round < 30; round++) {
      const holder = new Key(name);
      await store.save(holder);
      const waiters = Array.from({ length: 4 }, () => ({ key: new Key(name), controller: new AbortController() }));
      const outcomes = waiters.map(({ key, controller }, i) =>
        store
          .waitAndSave(key, i % 2 ? { signal: controller.signal } : { timeout: Math.random() * 6 })
          .then(() => 'granted' as const, () => 'cancelled' as const),
      );
      const released = new Promise((r) => setTimeout(r, Math.random() * 6)).then(() => store.delete(holder));
      for (const { controller } of waiters) setTimeout(() => controller.abort(new Error('stop')), Math.random() * 6);
      const settled = await Promise.all(outcomes);
      await released;
      for (const [i, outcome] of settled.entries()) {
        const { key } = waiters[i]!;
        expect(await store.exists(key)).toBe(outcome === 'granted');
        if (outcome === 'granted') await store.delete(key);
      }
      expect(await admin.exists(name)).toBe(0);
    }
  });

  it('opens one subscriber connection while anyone waits, and closes it after', async () => {
    const own = await ready(server.client({ connectionName: 'sub-count' }));
    const store = new RedisStore(own);
    const count = async () => String(await admin.client('LIST')).split('\n').filter((l: string) => l.includes('name=sub-count')).length;
    expect(await count()).toBe(1);
    const holders = ['sub-a', 'sub-b'].map((name) => new Key(name));
    for (const h of holders) await store.save(h);
    const waits = holders.flatMap((h) =>
      [0, 1, 2].map(async () => {
        const key = new Key(h.resource);
        await store.waitAndSave(key, { timeout: 5_000 });
        await store.delete(key);
      }),
    );
    // The waiters try once, then one subscriber connection opens for all of them.
    await eventually(async () => expect(await count()).toBe(2));
    for (const h of holders) await store.delete(h);
    await Promise.all(waits);
    expect(await count()).toBe(2);
    // Closed about a second (the linger) after the last waiter left.
    await eventually(async () => expect(await count()).toBe(1), 10_000);
  });
});
