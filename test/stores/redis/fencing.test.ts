import { describe, expect, it } from 'vitest';
import { Key, LockFactory, RedisStore } from '../../../src/index.js';
import { fencingKey } from '../../../src/stores/redis/client.js';
import { RedisServer, eventually, ready } from '../../helpers/redis-server.js';

const server = await RedisServer.start();
const client = await ready(server.client());
const admin = await ready(server.client());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Redis Cluster's key slot: CRC16 (XMODEM) of the hash tag or the whole key, mod 16384. */
function calculateSlot(key: string): number {
  const bytes = Buffer.from(key);
  const open = bytes.indexOf('{');
  const close = open === -1 ? -1 : bytes.indexOf('}', open + 1);
  const part = close > open + 1 ? bytes.subarray(open + 1, close) : bytes;
  let crc = 0;
  for (const byte of part) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe('RedisStore fencing tokens', () => {
  it('increase strictly with every exclusive acquisition, across locks and stores', async () => {
    const factories = [new LockFactory(new RedisStore(client)), new LockFactory(new RedisStore(client))];
    const seen: bigint[] = [];
    for (let i = 0; i < 10; i++) {
      const lock = factories[i % 2]!.createLock('fence-seq');
      expect(lock.fencingToken).toBeUndefined();
      expect(await lock.acquire()).toBe(true);
      seen.push(lock.fencingToken!);
      await lock.release();
      expect(lock.fencingToken).toBeUndefined();
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]! > seen[i - 1]!).toBe(true);
    expect(typeof seen[0]).toBe('bigint');
  });

  it('keep increasing when a lock expires and is taken over', async () => {
    const factory = new LockFactory(new RedisStore(client));
    const first = factory.createLock('fence-expiry', { ttl: 50 });
    await first.acquire();
    const stale = first.fencingToken!;
    await sleep(80);
    const second = factory.createLock('fence-expiry', { ttl: 5_000 });
    expect(await second.acquire()).toBe(true);
    expect(second.fencingToken! > stale).toBe(true);
    await second.release();
  });

  it('stay the same while one holder saves or refreshes again, and change on the next acquisition', async () => {
    const factory = new LockFactory(new RedisStore(client));
    const lock = factory.createLock('fence-stable');
    await lock.acquire();
    const token = lock.fencingToken!;
    expect(await lock.acquire()).toBe(true);
    await lock.refresh();
    expect(lock.fencingToken).toBe(token);
    await lock.release();
    await lock.acquire();
    expect(lock.fencingToken! > token).toBe(true);
    await lock.release();
  });

  it('are given to a promoted reader, not to readers', async () => {
    const lock = new LockFactory(new RedisStore(client)).createLock('fence-read');
    await lock.acquireRead();
    expect(lock.fencingToken).toBeUndefined();
    await lock.acquire();
    const token = lock.fencingToken!;
    expect(token).toBeTypeOf('bigint');
    await lock.acquireRead();
    expect(lock.fencingToken).toBeUndefined();
    await lock.release();
  });

  it('live in a counter key of their own, in the resource’s Cluster slot', async () => {
    const lock = new LockFactory(new RedisStore(client)).createLock('fence-key');
    await lock.acquire();
    expect(await admin.get('{fence-key}:lockwright:fence')).toBe(String(lock.fencingToken));
    // It lives as long as the lock (the default TTL, 300 s), not forever.
    expect(await admin.pexpiretime('{fence-key}:lockwright:fence')).toBe(await admin.pexpiretime('fence-key'));
    await lock.release();
    expect(fencingKey('orders:{42}:ship')).toBe('orders:{42}:ship:lockwright:fence');
    expect(fencingKey('plain')).toBe('{plain}:lockwright:fence');
    for (const resource of ['plain', 'a{b}c', 'a{b', '{', 'é ✓']) {
      expect(calculateSlot(fencingKey(resource))).toBe(calculateSlot(resource));
    }
  });

  it('travel with a serialized key', async () => {
    const store = new RedisStore(client);
    const lock = new LockFactory(store).createLock('fence-travel');
    await lock.acquire();
    const received = new LockFactory(store).createLockFromKey(Key.fromJSON(JSON.stringify(lock.key)), { autoRelease: false });
    await received.refresh();
    expect(received.fencingToken).toBe(lock.fencingToken);
    await received.release();
  });

  it('keep increasing after a restart of a Redis that keeps nothing on disk', async () => {
    const own = await RedisServer.start(); // --save '' --appendonly no
    const ownClient = await ready(own.client());
    const factory = new LockFactory(new RedisStore(ownClient));
    const before: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      const lock = factory.createLock('fence-restart');
      expect(await lock.acquire()).toBe(true);
      before.push(lock.fencingToken!);
      await lock.release();
    }
    await own.stop();
    await own.restart();
    await eventually(() => ownClient.ping());
    const lock = factory.createLock('fence-restart');
    expect(await lock.acquire()).toBe(true);
    expect(lock.fencingToken! > before.at(-1)!).toBe(true);
    await lock.release();
  });

  it('keep increasing when the counter is gone, and the counters of 1,000 locks expire with them', async () => {
    const factory = new LockFactory(new RedisStore(client));
    const tokens = new Map<string, bigint>();
    for (let i = 0; i < 1_000; i++) {
      const lock = factory.createLock(`fence-1000-${i}`, { ttl: 60_000 });
      expect(await lock.acquire()).toBe(true);
      tokens.set(lock.key.resource, lock.fencingToken!);
      await lock.release();
    }
    const counters = await admin.keys('*fence-1000-*:lockwright:fence');
    expect(counters).toHaveLength(1_000);
    for (const counter of counters) {
      // An expiry, no longer than the lock's TTL: none of them stays forever.
      const pttl = await admin.pttl(counter);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(60_000);
    }
    // Once a counter is gone (expired: deleted here, so as not to wait a minute), the
    // next token still comes after every earlier one.
    for (const resource of ['fence-1000-0', 'fence-1000-999']) {
      await admin.del(fencingKey(resource));
      const again = factory.createLock(resource, { ttl: 60_000 });
      await again.acquire();
      expect(again.fencingToken! > tokens.get(resource)!).toBe(true);
      await again.release();
    }
    await admin.del(...(await admin.keys('*fence-1000-*')));
  });

  it('lets a short lock’s counter expire with it', async () => {
    const lock = new LockFactory(new RedisStore(client)).createLock('fence-short', { ttl: 300 });
    await lock.acquire();
    const counter = fencingKey('fence-short');
    expect(await admin.pexpiretime(counter)).toBe(await admin.pexpiretime('fence-short'));
    await eventually(async () => expect(await admin.exists(counter)).toBe(0), 10_000);
  });
});
