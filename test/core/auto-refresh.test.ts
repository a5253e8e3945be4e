import diagnostics from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import {
  InMemoryStore,
  InvalidArgumentError,
  Key,
  LockConflictedError,
  LockExpiredError,
  LockFactory,
  LockStorageError,
  channelNames,
  type RefreshMessage,
} from '../../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function collectLost(): { lost: unknown[]; stop(): void } {
  const lost: unknown[] = [];
  const handler = (m: unknown) => lost.push(m);
  diagnostics.subscribe(channelNames.lost, handler);
  return { lost, stop: () => diagnostics.unsubscribe(channelNames.lost, handler) };
}

/** Refresh events of one lock, and a way to wait for the n-th. */
function watchRefreshes(resource: string): { at: number[]; until(count: number, signal: AbortSignal): Promise<void>; stop(): void } {
  const at: number[] = [];
  let waiter: (() => void) | null = null;
  const handler = (m: unknown) => {
    if ((m as RefreshMessage).resource !== resource) return;
    at.push(performance.now());
    waiter?.();
  };
  diagnostics.subscribe(channelNames.refresh, handler);
  return {
    at,
    until: (count, signal) =>
      new Promise<void>((resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        waiter = () => at.length >= count && resolve();
        waiter();
      }),
    stop: () => diagnostics.unsubscribe(channelNames.refresh, handler),
  };
}

const abortOf = (signal: AbortSignal) =>
  new Promise<{ reason: unknown; at: number }>((resolve) => signal.addEventListener('abort', () => resolve({ reason: signal.reason, at: performance.now() }), { once: true }));

describe('autoRefresh and the lost-lock signal', () => {
  it('keeps an expiring lock alive across several TTLs while held, and stops refreshing once released', async () => {
    const store = new InMemoryStore();
    const factory = new LockFactory(store);
    const refreshes = watchRefreshes('kept-alive');
    try {
      const lock = factory.createLock('kept-alive', { ttl: 300, autoRefresh: true });
      const started = performance.now();
      await lock.acquire();
      // Events, not windows: wait for five refreshes (the one after acquiring, four timed).
      await refreshes.until(5, lock.signal);
      expect(performance.now() - started).toBeGreaterThan(300);
      expect(await lock.isAcquired()).toBe(true);
      expect(lock.signal.aborted).toBe(false);
      expect(await factory.createLock('kept-alive').acquire()).toBe(false);
      await lock.release();
      const count = refreshes.at.length;
      // Two refresh intervals later, no refresh came: the timer is gone.
      await sleep(250);
      expect(refreshes.at.length).toBe(count);
      expect(await factory.createLock('kept-alive').acquire()).toBe(true);
    } finally {
      refreshes.stop();
    }
  });

  it('aborts the signal and emits "lost" when the lock disappears behind its back', async () => {
    const { lost, stop } = collectLost();
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    try {
      const store = new InMemoryStore();
      const lock = new LockFactory(store).createLock('stolen', { ttl: 300, autoRefresh: true });
      await lock.acquire();
      const aborted = abortOf(lock.signal);
      await store.delete(Key.fromJSON(lock.key.toJSON())); // deleted by someone holding the token
      const { reason } = await aborted; // at the next refresh
      expect(reason).toBeInstanceOf(LockConflictedError);
      expect(lost).toHaveLength(1);
      expect(lost[0]).toMatchObject({ resource: 'stolen', store: 'InMemoryStore' });
      expect(uncaught).toEqual([]);
    } finally {
      stop();
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUncaught);
    }
  });

  it('ends with LockExpiredError on the signal when the store keeps failing until the TTL ran out', async () => {
    class FlakyStore extends InMemoryStore {
      failing = false;
      failures = 0;
      override async putOffExpiration(key: Key, ttl: number): Promise<void> {
        if (this.failing) {
          this.failures++;
          throw new LockStorageError('backend unreachable');
        }
        return super.putOffExpiration(key, ttl);
      }
    }
    const store = new FlakyStore();
    const refreshes = watchRefreshes('flaky');
    try {
      const lock = new LockFactory(store).createLock('flaky', { ttl: 300, autoRefresh: true });
      await lock.acquire();
      const aborted = abortOf(lock.signal);
      store.failing = true;
      const { reason, at } = await aborted;
      expect(reason).toBeInstanceOf(LockExpiredError);
      // A failed refresh alone is not a loss: the refreshes failed (at a third of the TTL
      // each) and the signal held on until the lifetime of the last confirmed one ran out.
      expect(store.failures).toBeGreaterThanOrEqual(1);
      // (InMemoryStore confirms as it is asked: the last refresh event is its send time.)
      expect(refreshes.at.length).toBeGreaterThanOrEqual(1);
      expect(at - refreshes.at[refreshes.at.length - 1]!).toBeGreaterThanOrEqual(280);
    } finally {
      refreshes.stop();
    }
  });

  it('refuses autoRefresh without a TTL', () => {
    const factory = new LockFactory(new InMemoryStore());
    expect(() => factory.createLock('x', { ttl: null, autoRefresh: true })).toThrow(InvalidArgumentError);
    expect(() => factory.createLock('x', { autoRefresh: 'yes' as never })).toThrow(/autoRefresh must be a boolean/);
  });
});
