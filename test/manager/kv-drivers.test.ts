// The LockManager's `memcached` and `zookeeper` drivers, on real servers: a url of the
// driver's own scheme builds the store, two managers exclude each other, close() ends the
// connection (ZooKeeper: the session, and with it the lock); a wrong url is refused.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, LockManager } from '../../src/index.js';
import { MemcachedServer } from '../helpers/memcached-server.js';
import { ZookeeperServer } from '../helpers/zookeeper-server.js';

const memcached = await MemcachedServer.start();
const zookeeper = await ZookeeperServer.start();

describe.each([
  { driver: 'memcached' as const, url: () => memcached.dsn },
  { driver: 'zookeeper' as const, url: () => zookeeper.dsn() },
])('LockManager $driver driver', ({ driver, url }) => {
  const manager = () => new LockManager({ default: 'kv', stores: { kv: { driver, url: url() } }, ttl: '30s' });

  it('locks through the server: another manager sees the lock, and gets it after', async () => {
    const [a, b] = [manager(), manager()];
    try {
      const result = await a.executeWithLock('nightly', async () => {
        expect(await b.isLocked('nightly')).toBe(true);
        await expect(b.executeWithLock('nightly', async () => 'never')).rejects.toThrow(/nightly/);
        return 'ran';
      });
      expect(result).toBe('ran');
      expect(await b.isLocked('nightly')).toBe(false);
      expect(await b.executeWithLock('nightly', async () => 'second')).toBe('second');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a url of another scheme, and a missing one, naming the driver', () => {
    for (const bad of ['redis://127.0.0.1:6379', undefined]) {
      const m = new LockManager({ default: 'kv', stores: { kv: { driver, url: bad as string } } });
      expect(() => m.createLock('x')).toThrow(InvalidArgumentError);
      expect(() => m.createLock('x')).toThrow(new RegExp(`the ${driver} driver needs a "url"`));
    }
    expect(() => new LockManager({ default: 'kv', stores: { kv: { driver, url: 42 as never } } })).toThrow(/"url" must be a string; got 42/);
  });

  it('refuses a key the driver does not take', () => {
    expect(() => new LockManager({ default: 'kv', stores: { kv: { driver, url: url(), table: 'x' } as never } })).toThrow(/table/);
  });
});
