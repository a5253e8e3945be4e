// A Redis server that goes away under held locks and waiting acquires: typed errors,
// no crash, no unhandled rejection, and everything works again after a restart.
import { afterAll, describe, expect, it } from 'vitest';
import {
  LockAcquiringError,
  LockFactory,
  LockReleasingError,
  LockStorageError,
  RedisStore,
} from '../../../src/index.js';
import { RedisServer, eventually, ready, waitingFor } from '../../helpers/redis-server.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
process.on('unhandledRejection', onUnhandled);
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function causeOf(promise: Promise<unknown>): Promise<{ error: Error; cause: unknown }> {
  const error = (await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  )) as Error;
  return { error, cause: error.cause };
}

describe('RedisStore when the server goes away', () => {
  it('reports typed errors for a held lock, and works again after a restart', async () => {
    const server = await RedisServer.start();
    const client = await ready(server.client());
    const factory = new LockFactory(new RedisStore(client));
    const lock = factory.createLock('fault-held', { ttl: 10_000 });
    expect(await lock.acquire()).toBe(true);
    const signal = lock.signal;
    await server.stop();

    const refresh = await causeOf(lock.refresh());
    expect(refresh.error).toBeInstanceOf(LockAcquiringError);
    expect(refresh.cause).toBeInstanceOf(LockStorageError);
    expect((refresh.cause as Error).cause).toBeInstanceOf(Error);
    await expect(lock.isAcquired()).rejects.toBeInstanceOf(LockStorageError);
    const release = await causeOf(lock.release());
    expect(release.error).toBeInstanceOf(LockReleasingError);
    expect(release.cause).toBeInstanceOf(LockStorageError);
    const other = await causeOf(factory.createLock('fault-held').acquire());
    expect(other.error).toBeInstanceOf(LockAcquiringError);
    expect(other.cause).toBeInstanceOf(LockStorageError);
    expect(signal.aborted).toBe(false); // unknown is not lost: the server may come back

    await server.restart();
    await eventually(() => client.ping());
    // The server kept nothing (no persistence): the lock is free again.
    const again = factory.createLock('fault-held');
    expect(await again.acquire()).toBe(true);
    await again.release();
  });

  it('keeps waiting acquires waiting while the server is down, then rejects them with typed errors at their timeout', async () => {
    const server = await RedisServer.start();
    const client = await ready(server.client());
    const factory = new LockFactory(new RedisStore(client, { pollInterval: 100 }));
    const holder = factory.createLock('fault-wait');
    await holder.acquire();
    const controller = new AbortController();
    const aborted = factory.createLock('fault-wait').acquire({ signal: controller.signal });
    await sleep(50);
    await server.stop();
    const stopped = performance.now();
    // A waiter waits through an outage until its timeout; then the failure is its answer.
    const waiters = [0, 1, 2].map(() => factory.createLock('fault-wait').acquire({ timeout: 1_500 }));
    for (const waiting of waiters) {
      const { error, cause } = await causeOf(waiting);
      expect(error).toBeInstanceOf(LockAcquiringError);
      expect(cause).toBeInstanceOf(LockStorageError);
    }
    expect(performance.now() - stopped).toBeGreaterThanOrEqual(1_400);
    expect(performance.now() - stopped).toBeLessThan(10_000);
    const reason = new Error('gave up');
    controller.abort(reason);
    await expect(aborted).rejects.toBe(reason);

    await server.restart();
    await eventually(() => client.ping());
    const lock = factory.createLock('fault-wait');
    expect(await lock.acquire()).toBe(true);
    await lock.release();
  });

  it('lets a waiter on a patient client ride out a restart, and wakes it by message after', async () => {
    const server = await RedisServer.start();
    const patient = await ready(server.client({ enableOfflineQueue: true, maxRetriesPerRequest: null }));
    const factory = new LockFactory(new RedisStore(patient, { pollInterval: 200 }));
    const holder = factory.createLock('fault-patient', { ttl: 60_000 });
    await holder.acquire();
    const waiting = factory.createLock('fault-patient').acquire({ timeout: 20_000 });
    await sleep(50);
    await server.stop();
    await sleep(300);
    await server.restart();
    expect(await waiting).toBe(true); // the restarted server forgot the holder

    // Notifications work again: a release wakes a waiter long before the poll would.
    const slowPoll = new LockFactory(new RedisStore(patient, { pollInterval: 10_000 }));
    const first = slowPoll.createLock('fault-after');
    await first.acquire();
    const second = slowPoll.createLock('fault-after').acquire({ timeout: 30_000 });
    await waitingFor(patient, 'fault-after');
    const released = performance.now();
    await first.release();
    expect(await second).toBe(true);
    expect(performance.now() - released).toBeLessThan(9_000); // the poll is 10 s
  });

  it('turns an unreachable server into LockAcquiringError, without crashing', async () => {
    const server = await RedisServer.start();
    await server.stop();
    const client = server.client({ lazyConnect: true, retryStrategy: () => null });
    const lock = new LockFactory(new RedisStore(client)).createLock('fault-unreachable');
    const { error, cause } = await causeOf(lock.acquire());
    expect(error).toBeInstanceOf(LockAcquiringError);
    expect(cause).toBeInstanceOf(LockStorageError);
    const blocking = await causeOf(lock.acquire({ timeout: 1_000 }));
    expect(blocking.error).toBeInstanceOf(LockAcquiringError);
  });
});
