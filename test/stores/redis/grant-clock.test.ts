// How long a lock (or permits) handed over by a release lives, as the waiter sees it.
// A release grants the head waiter in its script, by the server clock, and the TTL runs
// on the server from then; the waiter must count its lifetime from the grant too, not
// from whenever its event loop gets to the message. Here the waiter's event loop is
// blocked from before the release until 1.5 s after Redis granted it (seen by redis-cli
// from inside the block): at least 1.5 s of the TTL is gone when the waiter adopts it.
// The assertions bound elapsed time from below only: a slow machine passes them more easily.
// A grant without its instant (a release by an older lockwright) is confirmed by a
// refresh. Where scripts run on the client clock (a server that refuses TIME before a
// write), there are no direct grants: the head is woken, and takes the lock by its own try.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { LockFactory, RedisPermitStore, RedisStore, SemaphoreFactory } from '../../../src/index.js';
import { leasesKey, queueKey, type RedisClient } from '../../../src/stores/redis/client.js';
import { permitKeys, permitQueueKeys } from '../../../src/stores/redis/permit-scripts.js';
import { TIME_PROBE } from '../../../src/stores/redis/scripts.js';
import { LockHolder } from '../../helpers/child.js';
import { RedisServer, eventually, ready, waitingFor, waitingForPermits } from '../../helpers/redis-server.js';

const lockHolder = fileURLToPath(new URL('../../fixtures/redis-lock-holder.mjs', import.meta.url));
const permitHolder = fileURLToPath(new URL('../../fixtures/redis-permit-holder.mjs', import.meta.url));
const server = await RedisServer.start();
const client = await ready(server.client());
const admin = await ready(server.client());
const port = server.port;

const TOKEN = 'lockwright:redis:token';
const PERMIT_TOKEN = 'lockwright:redis-permits:token';
const TTL = 8_000;
const BLOCKED_MS = 1_500;

/**
 * Blocks this process's event loop (no message, no reply is handled meanwhile) until
 * the Redis list `queue` is empty (the release granted its head), then 1.5 s more.
 */
function blockUntilGranted(queue: string): void {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const llen = spawnSync('redis-cli', ['-p', String(port), 'LLEN', queue], { encoding: 'utf8' });
    if (llen.status !== 0) throw new Error(`redis-cli failed: ${llen.stderr}`);
    if (llen.stdout.trim() === '0') break;
    if (Date.now() > deadline) throw new Error(`the release did not grant the waiter queued in ${queue} within 30 s`);
  }
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, BLOCKED_MS);
}

/**
 * Sends "release" to a child holder at once (LockHolder.send() writes after an await,
 * which the block would hold back); its reply is not waited for.
 */
function releaseNow(holder: LockHolder): void {
  holder.child.send({ cmd: 'release', id: -1 });
}

/**
 * `redis` as a server that refuses TIME before a write in a script (Redis before 5, some
 * managed offerings) answers: the refusal the stores probe for (scripts.ts
 * NO_TIME_MESSAGES), to any script call asking for the server clock (ARGV[1] "1") and
 * to the time probe. Every other call reaches the real server as it is.
 */
function clientClockOnly(redis: Redis): RedisClient {
  const refused = () => Promise.reject(new Error('ERR Write commands not allowed after non deterministic commands.'));
  const asksTime = (numKeys: number, args: unknown[]) => String(args[numKeys]) === '1';
  return new Proxy(redis, {
    get(target, name, receiver) {
      if (name === 'evalsha') {
        return (sha: string, numKeys: number, ...args: unknown[]) =>
          sha === TIME_PROBE.sha || asksTime(numKeys, args) ? refused() : target.evalsha(sha, numKeys, ...(args as string[]));
      }
      if (name === 'eval') {
        return (source: string, numKeys: number, ...args: unknown[]) =>
          source === TIME_PROBE.source || asksTime(numKeys, args) ? refused() : target.eval(source, numKeys, ...(args as string[]));
      }
      const value: unknown = Reflect.get(target, name, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as unknown as RedisClient;
}

/** Messages published on the stores' wake-up channels from now on, until `stop()`. */
async function wakeMessages(): Promise<{ messages: string[]; stop: () => Promise<void> }> {
  const listener = await ready(server.client());
  const messages: string[] = [];
  listener.on('pmessage', (_pattern, _channel, message: string) => messages.push(message));
  await listener.psubscribe('lockwright:wake:*');
  return { messages, stop: async () => void (await listener.punsubscribe()) };
}

describe('RedisStore: a lock handed over by a release', () => {
  it('lives its TTL from the grant, not from when the blocked waiter handled it', async () => {
    const resource = 'grant-clock-lock';
    const holder = new LockHolder(lockHolder);
    expect((await holder.send({ cmd: 'acquire', port, resource, ttl: 60_000 })).acquired).toBe(true);
    const lock = new LockFactory(new RedisStore(client, { pollInterval: 60_000 })).createLock(resource, { ttl: TTL, autoRelease: false });
    const acquiring = lock.acquire(true);
    await waitingFor(admin, resource);
    const { messages, stop } = await wakeMessages();
    releaseNow(holder);
    blockUntilGranted(queueKey(resource));
    expect(await acquiring).toBe(true);
    const serverLeft = await admin.pttl(resource);
    const clientLeft = lock.getRemainingLifetime()!;
    // At least the 1.5 s blocked after the grant are gone, and the waiter does not
    // believe it holds the lock longer than the server keeps it (read after the PTTL).
    expect(clientLeft).toBeLessThanOrEqual(TTL - 1_000);
    expect(clientLeft).toBeLessThanOrEqual(serverLeft);
    expect(lock.isExpired()).toBe(false);
    // Handed over with the grant's instant, by the server clock.
    await eventually(async () => expect(messages).toHaveLength(1));
    expect(messages[0]).toMatch(/^\S+\.\S+ \d+ \d{13}$/);
    await stop();
    await lock.release();
  });

  it('confirms a grant that says nothing of its instant (an older release) with a refresh', async () => {
    const resource = 'grant-clock-lock-no-instant';
    const holder = new LockFactory(new RedisStore(client)).createLock(resource, { ttl: 60_000 });
    expect(await holder.acquire()).toBe(true);
    const lock = new LockFactory(new RedisStore(client, { pollInterval: 60_000 })).createLock(resource, { ttl: TTL, autoRelease: false });
    const acquiring = lock.acquire(true);
    await waitingFor(admin, resource);
    const [id] = await admin.lrange(queueKey(resource), 0, -1);
    // A release as lockwright's scripts made it before grants carried their instant:
    // the lock written for the head with a TTL of its own (60 s here, to tell it from
    // the waiter's 8 s), and "<id> <fencing token>" published.
    const token = lock.key.getState<string>(TOKEN)!;
    const at = Number((await admin.time())[0]) * 1000 + 60_000;
    await admin
      .multi()
      .del(resource)
      .zadd(resource, at, token, at, '__write__')
      .pexpireat(resource, at)
      .lpop(queueKey(resource))
      .hdel(leasesKey(resource), id!)
      .publish(`lockwright:wake:${id!.split('.')[0]}`, `${id} 42`)
      .exec();
    expect(await acquiring).toBe(true);
    expect(lock.fencingToken).toBe(42n);
    // The waiter refreshed it: the server keeps it its own TTL from the refresh, and the
    // waiter believes no more than that.
    const serverLeft = await admin.pttl(resource);
    expect(serverLeft).toBeLessThanOrEqual(TTL);
    expect(lock.getRemainingLifetime()!).toBeLessThanOrEqual(serverLeft);
    await lock.release();
    expect(await admin.exists(resource, queueKey(resource))).toBe(0);
  });

  it('on the client clock, wakes the head instead, which takes the lock by its own try', async () => {
    const resource = 'grant-clock-lock-client-clock';
    const holderStore = new RedisStore(clientClockOnly(await ready(server.client())));
    const holder = new LockFactory(holderStore).createLock(resource, { ttl: 60_000 });
    expect(await holder.acquire()).toBe(true);
    // A 60 s poll: only the release's message can make the waiter try within the test.
    const lock = new LockFactory(new RedisStore(clientClockOnly(client), { pollInterval: 60_000 })).createLock(resource, { ttl: TTL });
    const acquiring = lock.acquire(true);
    await waitingFor(admin, resource);
    const [id] = await admin.lrange(queueKey(resource), 0, -1);
    const { messages, stop } = await wakeMessages();
    await holder.release();
    expect(await acquiring).toBe(true);
    // The release only named the waiter: no grant, nothing written for it.
    await eventually(async () => expect(messages).toEqual([id]));
    expect(lock.getRemainingLifetime()).toBeLessThanOrEqual(TTL);
    await stop();
    await lock.release();
    expect(await admin.exists(resource, queueKey(resource))).toBe(0);
  });
});

describe('RedisPermitStore: permits granted by a release', () => {
  it('live their TTL from the grant, not from when the blocked waiter handled it', async () => {
    const resource = 'grant-clock-permits';
    const holder = new LockHolder(permitHolder);
    expect((await holder.send({ cmd: 'acquire', port, resource, limit: 1, ttl: 60_000 })).acquired).toBe(true);
    const semaphore = new SemaphoreFactory(new RedisPermitStore(client, { pollInterval: 60_000 })).createSemaphore(resource, 1, {
      ttl: TTL,
      autoRelease: false,
    });
    const acquiring = semaphore.acquire(true);
    await waitingForPermits(admin, resource);
    const { messages, stop } = await wakeMessages();
    releaseNow(holder);
    blockUntilGranted(permitQueueKeys(resource)[0]);
    expect(await acquiring).toBe(true);
    expect(semaphore.getRemainingLifetime()!).toBeLessThanOrEqual(TTL - 1_000);
    expect(semaphore.isExpired()).toBe(false);
    await eventually(async () => expect(messages).toHaveLength(1));
    expect(messages[0]).toMatch(/^\S+\.\S+ \+ \d{13}$/);
    await stop();
    await semaphore.release();
  });

  it('confirms a grant that says nothing of its instant (an older release) with a refresh', async () => {
    const resource = 'grant-clock-permits-no-instant';
    const [weightKey, timeKey] = permitKeys(resource);
    const [queue, leases] = permitQueueKeys(resource);
    const holder = new SemaphoreFactory(new RedisPermitStore(client)).createSemaphore(resource, 1, { ttl: 60_000, autoRelease: false });
    expect(await holder.acquire()).toBe(true);
    const semaphore = new SemaphoreFactory(new RedisPermitStore(client, { pollInterval: 60_000 })).createSemaphore(resource, 1, {
      ttl: TTL,
      autoRelease: false,
    });
    const acquiring = semaphore.acquire(true);
    await waitingForPermits(admin, resource);
    const [id] = await admin.lrange(queue, 0, -1);
    // A release as lockwright's scripts made it before grants carried their instant: the
    // holder's permit removed, the head's written with an expiry of its own (60 s here,
    // to tell it from the waiter's 8 s), and "<id> +" published.
    const holderToken = holder.key.getState<string>(PERMIT_TOKEN)!;
    const token = semaphore.key.getState<string>(PERMIT_TOKEN)!;
    const expiry = Number((await admin.time())[0]) + 60;
    await admin
      .multi()
      .zrem(weightKey, holderToken)
      .zrem(timeKey, holderToken)
      .zadd(timeKey, expiry, token)
      .zadd(weightKey, 1, token)
      .lpop(queue)
      .hdel(leases, id!)
      .publish(`lockwright:wake:${id!.split('.')[0]}`, `${id} +`)
      .exec();
    expect(await acquiring).toBe(true);
    // The waiter refreshed its permit: the server keeps it the waiter's TTL (whole
    // seconds, rounded up) from the refresh, and the waiter believes no more than that.
    const [seconds, micros] = await admin.time();
    const serverLeft = Number(await admin.zscore(timeKey, token)) * 1000 - (Number(seconds) * 1000 + Number(micros) / 1000);
    expect(serverLeft).toBeLessThanOrEqual(TTL + 1_000);
    expect(semaphore.getRemainingLifetime()!).toBeLessThanOrEqual(serverLeft);
    await semaphore.release();
    expect(await admin.exists(...permitKeys(resource), ...permitQueueKeys(resource))).toBe(0);
  });

  it('on the client clock, wakes the head instead, which takes the permits by its own try', async () => {
    const resource = 'grant-clock-permits-client-clock';
    const holder = new SemaphoreFactory(new RedisPermitStore(clientClockOnly(await ready(server.client())))).createSemaphore(resource, 1, {
      ttl: 60_000,
    });
    expect(await holder.acquire()).toBe(true);
    const semaphore = new SemaphoreFactory(new RedisPermitStore(clientClockOnly(client), { pollInterval: 60_000 })).createSemaphore(
      resource,
      1,
      { ttl: TTL },
    );
    const acquiring = semaphore.acquire(true);
    await waitingForPermits(admin, resource);
    const [id] = await admin.lrange(permitQueueKeys(resource)[0], 0, -1);
    const { messages, stop } = await wakeMessages();
    await holder.release();
    expect(await acquiring).toBe(true);
    await eventually(async () => expect(messages).toEqual([id]));
    expect(semaphore.getRemainingLifetime()).toBeLessThanOrEqual(TTL);
    await stop();
    await semaphore.release();
    expect(await admin.exists(...permitKeys(resource), ...permitQueueKeys(resource))).toBe(0);
  });
});
