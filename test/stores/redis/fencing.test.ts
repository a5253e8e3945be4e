import { describe, expect, it } from 'vitest';
import { Key, LockFactory, RedisStore } from '../../../src/index.js';
import { fencingKey } from '../../../src/stores/redis/client.js';
import { RedisServer, ready } from '../../helpers/redis-server.js';

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
    expect(await admin.ttl('{fence-key}:lockwright:fence')).toBe(-1);
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
});
