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
} from '../../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function collectLost(): { lost: unknown[]; stop(): void } {
  const lost: unknown[] = [];
  const handler = (m: unknown) => lost.push(m);
  diagnostics.subscribe(channelNames.lost, handler);
  return { lost, stop: () => diagnostics.unsubscribe(channelNames.lost, handler) };
}

describe('autoRefresh and the lost-lock signal', () => {
  it('keeps an expiring lock alive across several TTLs while held', async () => {
    const store = new InMemoryStore();
    const factory = new LockFactory(store);
    const lock = factory.createLock('kept-alive', { ttl: 90, autoRefresh: true });
    await lock.acquire();
    await sleep(350);
    expect(await lock.isAcquired()).toBe(true);
    expect(lock.signal.aborted).toBe(false);
    expect(await factory.createLock('kept-alive').acquire()).toBe(false);
    await lock.release();
    // No refresh after release: the timer is gone.
    await sleep(120);
    expect(await factory.createLock('kept-alive').acquire()).toBe(true);
  });

  it('aborts the signal and emits "lost" when the lock disappears behind its back', async () => {
    const { lost, stop } = collectLost();
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    try {
      const store = new InMemoryStore();
      const lock = new LockFactory(store).createLock('stolen', { ttl: 60, autoRefresh: true });
      await lock.acquire();
      const signal = lock.signal;
      await store.delete(Key.fromJSON(lock.key.toJSON())); // deleted by someone holding the token
      await sleep(60);
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBeInstanceOf(LockConflictedError);
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
      override async putOffExpiration(key: Key, ttl: number): Promise<void> {
        if (this.failing) throw new LockStorageError('backend unreachable');
        return super.putOffExpiration(key, ttl);
      }
    }
    const store = new FlakyStore();
    const lock = new LockFactory(store).createLock('flaky', { ttl: 90, autoRefresh: true });
    await lock.acquire();
    const signal = lock.signal;
    store.failing = true;
    await sleep(60);
    expect(signal.aborted).toBe(false); // a failed refresh alone is not a loss
    await sleep(120);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(LockExpiredError);
  });

  it('refuses autoRefresh without a TTL', () => {
    const factory = new LockFactory(new InMemoryStore());
    expect(() => factory.createLock('x', { ttl: null, autoRefresh: true })).toThrow(InvalidArgumentError);
    expect(() => factory.createLock('x', { autoRefresh: 'yes' as never })).toThrow(/autoRefresh must be a boolean/);
  });
});
