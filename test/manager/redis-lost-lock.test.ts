// The lost-lock contract on a real Redis: a lock deleted behind its holder's back, and
// one whose refresh fails because the server stopped, abort lock.signal and emit "lost",
// with no uncaught exception and no unhandled rejection.
import diagnostics from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockConflictedError, LockExpiredError, LockFactory, RedisStore, channelNames, type LostMessage } from '../../src/index.js';
import { LockManager } from '../../src/manager/lock-manager.js';
import { RedisServer, ready } from '../helpers/redis-server.js';

const lost: LostMessage[] = [];
const onLost = (m: unknown) => lost.push(m as LostMessage);
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);

beforeAll(() => {
  diagnostics.subscribe(channelNames.lost, onLost);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
});
afterAll(() => {
  diagnostics.unsubscribe(channelNames.lost, onLost);
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
});

describe('lost locks on Redis', () => {
  it('aborts the signal when the key is deleted behind the holder\'s back', async () => {
    const server = await RedisServer.start();
    const client = await ready(server.client());
    const admin = await ready(server.client());
    const lock = new LockFactory(new RedisStore(client)).createLock('deleted-behind', { ttl: 600, autoRefresh: true });
    expect(await lock.acquire()).toBe(true);
    const signal = lock.signal;
    const aborted = new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    await admin.del('deleted-behind');
    await aborted; // at the next refresh (an event, not a window)
    expect(signal.reason).toBeInstanceOf(LockConflictedError);
    expect(lost.some((m) => m.lock === lock)).toBe(true);
    expect(uncaught).toEqual([]);
  });

  it('aborts the signal when refreshes fail because the server stopped, once the TTL ran out', async () => {
    const server = await RedisServer.start();
    const client = await ready(server.client({ maxRetriesPerRequest: 0, enableOfflineQueue: false }));
    const lock = new LockFactory(new RedisStore(client)).createLock('server-stopped', { ttl: 300, autoRefresh: true });
    // Events, not windows: when was the last refresh confirmed, and when did the signal abort?
    let lastConfirmed = performance.now();
    const onRefresh = (m: unknown) => {
      if ((m as LostMessage).lock === lock) lastConfirmed = performance.now();
    };
    diagnostics.subscribe(channelNames.refresh, onRefresh);
    try {
      expect(await lock.acquire()).toBe(true);
      lastConfirmed = performance.now();
      const signal = lock.signal;
      const aborted = new Promise<number>((resolve) => signal.addEventListener('abort', () => resolve(performance.now()), { once: true }));
      await server.stop();
      const abortedAt = await aborted;
      expect(signal.reason).toBeInstanceOf(LockExpiredError);
      // A failed refresh alone is not a loss: the abort comes at the lifetime's end, which
      // began at the send of the last confirmed refresh (under a round trip before it).
      expect(abortedAt - lastConfirmed).toBeGreaterThanOrEqual(200);
      expect(lost.some((m) => m.lock === lock)).toBe(true);
      expect(uncaught).toEqual([]);
    } finally {
      diagnostics.unsubscribe(channelNames.refresh, onRefresh);
    }
  });
});

describe('LockManager over Redis', () => {
  it('runs executeWithLock, waitAndExecute and isLocked, and reports a stopped server as a typed error', async () => {
    const server = await RedisServer.start();
    const manager = LockManager.fromEnv({ LOCK_DRIVER: 'redis', LOCK_REDIS_URL: server.url, LOCK_REDIS_PREFIX: 'app:', LOCK_MAX_WAIT: '2' });
    const other = LockManager.fromEnv({ LOCK_DRIVER: 'redis', LOCK_REDIS_URL: server.url, LOCK_REDIS_PREFIX: 'app:' });
    const admin = await ready(server.client());
    try {
      const result = await manager.executeWithLock('job', async () => {
        expect(await admin.exists('app:job')).toBe(1); // LOCK_REDIS_PREFIX replaces the manager's prefix
        expect(await other.isLocked('job')).toBe(true);
        await expect(other.executeWithLock('job', () => 0)).rejects.toThrow(LockConflictedError);
        return 'done';
      });
      expect(result).toBe('done');
      expect(await other.isLocked('job')).toBe(false);

      const holder = manager.createLock('wait');
      await holder.acquire();
      setTimeout(() => void holder.release(), 100);
      const started = performance.now();
      expect(await other.waitAndExecute('wait', () => 'waited')).toBe('waited');
      expect(performance.now() - started).toBeLessThan(1_000);

      await server.stop();
      const error = await manager.executeWithLock('job', () => 0).catch((e: unknown) => e);
      expect((error as Error).name).toBe('LockAcquiringError');
      expect(uncaught).toEqual([]);
    } finally {
      await manager.close();
      await other.close();
    }
  });
});
