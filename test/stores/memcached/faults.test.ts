// MemcachedStore when its server restarts: Memcached keeps nothing, so every lock is
// gone. A holder must learn it (isAcquired() false, refresh refused, signal aborted),
// and no operation may hang while the server is away.
import { describe, expect, it } from 'vitest';
import { LockConflictedError, LockFactory, LockStorageError, MemcachedStore } from '../../../src/index.js';
import { MemcachedServer } from '../../helpers/memcached-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries `check` until it passes (the client reconnects by itself), or throws after `ms`. */
async function eventually<T>(check: () => Promise<T>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

describe('MemcachedStore across a memcached restart', () => {
  it('loses every lock: isAcquired() false, refresh refused, signals aborted, the resource free again', async () => {
    const server = await MemcachedServer.start();
    const factory = new LockFactory(new MemcachedStore(server.client(), { commandTimeout: 1_000 }));
    const checked = factory.createLock('restart-checked', { ttl: 30_000 });
    const refreshed = factory.createLock('restart-refreshed', { ttl: 30_000 });
    const auto = factory.createLock('restart-auto', { ttl: 3_000, autoRefresh: true });
    for (const lock of [checked, refreshed, auto]) expect(await lock.acquire()).toBe(true);
    const signals = [checked.signal, refreshed.signal, auto.signal];

    await server.stop();
    // While the server is away: failures, promptly, and not yet a loss.
    const started = performance.now();
    await expect(checked.isAcquired()).rejects.toBeInstanceOf(LockStorageError);
    await expect(refreshed.refresh()).rejects.toThrow(/Failed to define an expiration/);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(signals.map((s) => s.aborted)).toEqual([false, false, false]);

    await server.restart();
    expect(await eventually(() => checked.isAcquired())).toBe(false);
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[0]!.reason).toBeInstanceOf(LockConflictedError);

    await expect(eventually(() => refreshed.refresh().catch((e: unknown) => {
      if (e instanceof LockConflictedError) throw Object.assign(new Error('done'), { conflict: e });
      throw e;
    }))).rejects.toMatchObject({ conflict: expect.any(LockConflictedError) });
    expect(signals[1]!.aborted).toBe(true);
    expect(await refreshed.isAcquired()).toBe(false);

    // The auto-refreshed lock learns it at its next refresh (every second here).
    await eventually(async () => {
      if (!signals[2]!.aborted) throw new Error('not yet');
    });
    expect(signals[2]!.reason).toBeInstanceOf(LockConflictedError);

    const newcomer = new LockFactory(new MemcachedStore(server.client())).createLock('restart-checked');
    expect(await newcomer.acquire()).toBe(true);
    await newcomer.release();
  });

  it('fails a wait in progress with a storage error when the server goes away, holding nothing', async () => {
    const server = await MemcachedServer.start();
    const store = new MemcachedStore(server.client(), { commandTimeout: 1_000, pollInterval: 50 });
    const factory = new LockFactory(store);
    expect(await factory.createLock('restart-wait').acquire()).toBe(true);
    const waiting = factory.createLock('restart-wait').acquire({ timeout: 30_000 });
    // The expectation is attached before the server stops: the wait may fail while
    // stop() still waits for the process to exit.
    const failed = expect(waiting).rejects.toThrow(/Failed to acquire/);
    await sleep(150);
    await server.stop();
    await failed;
    await server.restart();
  });
});
