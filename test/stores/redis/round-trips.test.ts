// A Redis lock costs one round trip to acquire (saved with the Lock's TTL, no refresh
// after) and one to release (the delete script is atomic, no exists() after).
import { describe, expect, it } from 'vitest';
import { LockFactory, RedisStore, type RedisClient } from '../../../src/index.js';
import { RedisServer, ready } from '../../helpers/redis-server.js';

const server = await RedisServer.start();
const client = await ready(server.client());
const admin = await ready(server.client());

/** The real client, counting the scripts it runs. */
function counting(real: typeof client): { client: RedisClient; calls: () => number; subscribers: () => number } {
  let calls = 0;
  let subscribers = 0;
  const wrapped = new Proxy(real, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property === 'evalsha' || property === 'eval' || property === 'duplicate') {
        return (...args: unknown[]) => {
          if (property === 'duplicate') subscribers++;
          else calls++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { client: wrapped as unknown as RedisClient, calls: () => calls, subscribers: () => subscribers };
}

describe('RedisStore round trips through Lock', () => {
  it('acquires in one script call with the lock\'s TTL, and releases in one', async () => {
    const { client: counted, calls } = counting(client);
    const factory = new LockFactory(new RedisStore(counted));
    const warm = factory.createLock('warm-up');
    await warm.acquire(); // the first call probes the server clock once per client
    await warm.release();

    const lock = factory.createLock('one-trip', { ttl: 5_000 });
    const before = calls();
    expect(await lock.acquire()).toBe(true);
    expect(calls() - before).toBe(1);
    const pttl = await admin.pttl('one-trip');
    expect(pttl).toBeGreaterThan(4_000);
    expect(pttl).toBeLessThanOrEqual(5_000);
    expect(lock.getRemainingLifetime()!).toBeLessThanOrEqual(5_000);
    expect(JSON.stringify(lock.key.toJSON())).not.toContain('requested-ttl');

    const beforeRelease = calls();
    await lock.release();
    expect(calls() - beforeRelease).toBe(1);
    expect(await admin.exists('one-trip')).toBe(0);
  });

  it('takes a free lock with acquire(true) in one call, without opening a subscriber connection', async () => {
    const { client: counted, calls, subscribers } = counting(client);
    const factory = new LockFactory(new RedisStore(counted));
    const warm = factory.createLock('warm-up-blocking');
    await warm.acquire();
    await warm.release();
    const lock = factory.createLock('blocking-free');
    const before = calls();
    expect(await lock.acquire(true)).toBe(true);
    expect(calls() - before).toBe(1);
    expect(subscribers()).toBe(0);
    await lock.release();
  });
});
