// LockManager.executeWithLocks (and createMultiLock): several names held as one for a
// callback, all or nothing, on real stores; another process's lock makes it refuse.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { InMemoryStore, InvalidArgumentError, LockConflictedError, MultiLock } from '../../src/index.js';
import { LockManager } from '../../src/manager/lock-manager.js';
import type { LockManagerConfig } from '../../src/manager/config.js';
import { LockHolder } from '../helpers/child.js';
import { RedisServer, ready } from '../helpers/redis-server.js';
import { semaphoreNamespace } from '../helpers/semaphores.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const { namespace, track } = semaphoreNamespace();

const targets: Array<{ name: string; config: LockManagerConfig; child?: Record<string, unknown> }> = [
  { name: 'in-memory', config: { default: 'mine', stores: { mine: { driver: 'custom', store: new InMemoryStore() } } } },
  { name: 'flock', config: { default: 'file', stores: { file: { driver: 'file', path: dir } } }, child: { store: 'flock', dir } },
  { name: 'semaphore', config: { default: 'semaphore', stores: { semaphore: { driver: 'semaphore', namespace } } }, child: { store: 'semaphore', namespace } },
];

let counter = 0;
const unique = (label: string) => {
  const name = `${label}-${process.pid}-${counter++}`;
  track(`lockwright:${name}`);
  return name;
};

describe.each(targets)('executeWithLocks over $name', ({ config, child }) => {
  it('runs the callback holding every name, returns its result and releases them all', async () => {
    const m = new LockManager(config);
    const [a, b, c] = [unique('a'), unique('b'), unique('c')];
    const result = await m.executeWithLocks([c, a, b, a], async (signal) => {
      expect(signal.aborted).toBe(false);
      for (const name of [a, b, c]) expect(await m.isLocked(name)).toBe(true);
      // One of them busy: the nested call is refused and takes nothing.
      await expect(m.executeWithLocks([b, unique('a-free')], () => 'never')).rejects.toThrow(LockConflictedError);
      return 'done';
    });
    expect(result).toBe('done');
    for (const name of [a, b, c]) expect(await m.isLocked(name)).toBe(false);
    const metrics = m.metrics();
    expect(metrics.acquired).toBe(4); // a, b, c, and the free name the refused call took first and gave back
    expect(metrics.released).toBe(4);
    expect(metrics.conflicts).toBe(1);
    await m.close();
  });

  it('refuses when another holds one name, leaving the others free, and never calls the callback', async () => {
    const m = new LockManager(config);
    const [a, b] = [unique('a'), unique('b')];
    const holder = m.createLock(b);
    expect(await holder.acquire()).toBe(true);
    let called = false;
    const refused = m.executeWithLocks([b, a], () => {
      called = true;
    });
    await expect(refused).rejects.toThrow(LockConflictedError);
    await expect(m.executeWithLocks([b, a], () => 0)).rejects.toThrow(`Could not acquire the locks "${a}", "${b}"`);
    expect(called).toBe(false);
    expect(await m.isLocked(a)).toBe(false);
    await holder.release();
    await m.close();
  });

  it('releases every lock when the callback throws, and rethrows its error', async () => {
    const m = new LockManager(config);
    const [a, b] = [unique('a'), unique('b')];
    const failure = new Error('job failed');
    await expect(m.executeWithLocks([a, b], () => Promise.reject(failure))).rejects.toBe(failure);
    await expect(
      m.executeWithLocks([a, b], () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await m.isLocked(a)).toBe(false);
    expect(await m.isLocked(b)).toBe(false);
    await m.close();
  });
});

describe.each(targets.filter((t) => t.child))('executeWithLocks over $name, another process', ({ config, child }) => {
  it('refuses while another process holds one of the names', async () => {
    const m = new LockManager(config);
    const [a, b] = [unique('a'), unique('b')];
    const other = new LockHolder();
    expect((await other.send({ cmd: 'acquire', ...child!, resource: `lockwright:${a}` })).acquired).toBe(true);
    await expect(m.executeWithLocks([a, b], () => 'never')).rejects.toThrow(LockConflictedError);
    expect(await m.isLocked(b)).toBe(false);
    await other.send({ cmd: 'release' });
    expect(await m.executeWithLocks([a, b], () => 'ran')).toBe('ran');
    await m.close();
  });
});

describe('executeWithLocks: input', () => {
  const m = new LockManager({ default: 'mine', stores: { mine: { driver: 'custom', store: new InMemoryStore() } } });

  it('refuses bad names, a missing callback and unknown options, naming what it takes', async () => {
    await expect(m.executeWithLocks([], () => 0)).rejects.toThrow(/a non-empty array of non-empty strings/);
    await expect(m.executeWithLocks('a,b' as never, () => 0)).rejects.toThrow(InvalidArgumentError);
    await expect(m.executeWithLocks(['a', ''], () => 0)).rejects.toThrow(/element 1 is ""/);
    await expect(m.executeWithLocks(['a'], 'fn' as never)).rejects.toThrow(/callback must be a function/);
    await expect(m.executeWithLocks(['a'], () => 0, { maxWait: 10 } as never)).rejects.toThrow(/unknown option "maxWait"/);
    await expect(m.executeWithLocks(['a'], () => 0, 30 as never)).rejects.toThrow(/ttl: '30s'/);
  });

  it('createMultiLock prefixes the names and sorts them', () => {
    const multi = m.createMultiLock(['b', 'a']);
    expect(multi).toBeInstanceOf(MultiLock);
    expect(multi.resources).toEqual(['lockwright:a', 'lockwright:b']);
  });
});

describe('executeWithLocks on Redis', () => {
  it('aborts the callback\'s signal when one of the locks is lost', async () => {
    const server = await RedisServer.start();
    const admin = await ready(server.client());
    const m = new LockManager({ default: 'redis', stores: { redis: { driver: 'redis', url: server.url } } });
    const reason = await m.executeWithLocks(['lost-x', 'lost-y'], async (signal) => {
      await (admin as Redis).del('lockwright:lost-y');
      // At the next automatic refresh (a third of the TTL): an event, not a window.
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
    }, { ttl: '900ms' });
    expect(reason).toBeInstanceOf(LockConflictedError);
    expect(m.metrics().lost).toBe(1);
    expect(await m.isLocked('lost-x')).toBe(false);
    await m.close();
  });
});
