// Waiting acquires under faults, against real redis-server processes of this file:
// - a waiter waits until its timeout or signal, through an outage and through a
//   CLIENT PAUSE longer than its TTL (only a held lock expires, not a wait);
// - a wait settles at its timeout or abort even when the server is silent (a network
//   partition, made by a proxy that stops forwarding) or down behind a patient client,
//   and a grant that arrives after that is given back.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { LockAcquiringError, LockFactory, LockStorageError, RedisStore } from '../../../src/index.js';
import { PartitionProxy, RedisServer, eventually, ready } from '../../helpers/redis-server.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
process.on('unhandledRejection', onUnhandled);
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

/** Settles with the outcome of `promise` and the ms it took. */
async function timed<T>(promise: Promise<T>): Promise<{ value?: T; error?: Error; ms: number }> {
  const started = performance.now();
  try {
    const value = await promise;
    return { value, ms: performance.now() - started };
  } catch (error) {
    return { error: error as Error, ms: performance.now() - started };
  }
}

/** Takes and releases a lock, so that the client's one-time clock probe is behind us. */
async function warmUp(factory: LockFactory): Promise<void> {
  const lock = factory.createLock('warm-up');
  expect(await lock.acquire()).toBe(true);
  await lock.release();
}

describe('a Redis waiter waits until its timeout or signal', () => {
  it('gets a free lock after a CLIENT PAUSE longer than its TTL', async () => {
    const server = await RedisServer.start();
    const client = await ready(server.client());
    const admin = await ready(server.client());
    const factory = new LockFactory(new RedisStore(client, { pollInterval: 200 }));
    await warmUp(factory);
    // Every command waits 1.5 s: the save's reply comes after the lock's 300 ms TTL.
    await admin.client('PAUSE', 1_500, 'ALL');
    const lock = factory.createLock('paused', { ttl: 300 });
    const { value, error } = await timed(lock.acquire({ timeout: 20_000 }));
    expect(error).toBeUndefined();
    expect(value).toBe(true);
    expect(await lock.isAcquired()).toBe(true);
    await lock.release();
  });

  it('gets a held lock released during a CLIENT PAUSE longer than its TTL', async () => {
    const server = await RedisServer.start();
    const client = await ready(server.client());
    const admin = await ready(server.client());
    const factory = new LockFactory(new RedisStore(client, { pollInterval: 200 }));
    const holder = factory.createLock('paused-held', { ttl: 60_000 });
    expect(await holder.acquire()).toBe(true);
    const waiter = factory.createLock('paused-held', { ttl: 300 });
    const waiting = timed(waiter.acquire({ timeout: 20_000 }));
    await admin.client('PAUSE', 1_500, 'ALL');
    const released = holder.release(); // queued behind the pause, as the waiter's tries are
    const { value, error } = await waiting;
    await released;
    expect(error).toBeUndefined();
    expect(value).toBe(true);
    expect(await waiter.isAcquired()).toBe(true);
    await waiter.release();
  });

  it('waits through an outage on a fail-fast client, and gets the lock when the server is back', async () => {
    const server = await RedisServer.start();
    const client = await ready(server.client());
    const factory = new LockFactory(new RedisStore(client, { pollInterval: 200 }));
    await warmUp(factory);
    await server.stop();
    const lock = factory.createLock('outage', { ttl: 300 });
    const waiting = timed(lock.acquire({ timeout: 20_000 }));
    await new Promise((r) => setTimeout(r, 1_000));
    await server.restart();
    const { value, error } = await waiting;
    expect(error).toBeUndefined();
    expect(value).toBe(true);
    await lock.release();
  });

  it('rejects with the storage failure once its timeout runs out during an outage', async () => {
    const server = await RedisServer.start();
    const client = await ready(server.client());
    const factory = new LockFactory(new RedisStore(client, { pollInterval: 200 }));
    await warmUp(factory);
    await server.stop();
    const { error, ms } = await timed(factory.createLock('outage-timeout').acquire({ timeout: 1_000 }));
    expect(error).toBeInstanceOf(LockAcquiringError);
    expect(error!.cause).toBeInstanceOf(LockStorageError);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(5_000);
  });
});

describe('a Redis wait settles at its timeout or abort, whatever the server does', () => {
  it('behind a silent network: timeout 500 ms, an abort, and a queued waiter; late grants are given back', async () => {
    const server = await RedisServer.start();
    const proxy = await PartitionProxy.start(server.port);
    const admin = await ready(server.client());
    // A patient client (no command timeout): only the wait's own limits end the wait.
    const client = await ready(server.client({ port: proxy.port, enableOfflineQueue: true, maxRetriesPerRequest: null }));
    const factory = new LockFactory(new RedisStore(client, { pollInterval: 200 }));
    await warmUp(factory);
    proxy.partition();
    try {
      const first = factory.createLock('silent');
      const second = factory.createLock('silent');
      const controller = new AbortController();
      const third = factory.createLock('silent-abort');
      const outcomes = Promise.all([
        timed(first.acquire({ timeout: 500 })),
        timed(second.acquire({ timeout: 500 })), // queued behind the first
        timed(third.acquire({ signal: controller.signal })),
      ]);
      const reason = new Error('stop waiting');
      setTimeout(() => controller.abort(reason), 500);
      const [a, b, c] = await outcomes;
      for (const outcome of [a!, b!, c!]) expect(outcome.ms).toBeLessThan(3_000);
      expect(a!.value).toBe(false);
      expect(b!.value).toBe(false);
      expect(c!.error).toBe(reason);
    } finally {
      proxy.heal();
    }
    // The tries held back by the partition are answered now; their grants are given back.
    await eventually(async () => expect(await admin.keys('silent*')).toEqual([]), 10_000);
    const again = factory.createLock('silent');
    expect(await again.acquire({ timeout: 5_000 })).toBe(true);
    await again.release();
    client.disconnect();
  });

  it('with the server down and a default ioredis client, timeout 1000 ms settles in about a second', async () => {
    const server = await RedisServer.start();
    await server.stop();
    // ioredis's defaults: an offline queue, 20 retries per command (about 10 s).
    const client = new Redis({ port: server.port, host: '127.0.0.1' });
    client.on('error', () => {});
    try {
      const lock = new LockFactory(new RedisStore(client)).createLock('down-default');
      const { value, error, ms } = await timed(lock.acquire({ timeout: 1_000 }));
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(3_000);
      // Not held: false (nothing answered), or the failure if one came back in time.
      if (error === undefined) expect(value).toBe(false);
      else expect(error).toBeInstanceOf(LockAcquiringError);
    } finally {
      client.disconnect();
    }
  });
});
