// RedisPermitStore's wait queue on a real redis-server: waiters are granted in the order
// they queued, a heavy head is not overtaken by lighter waiters behind it, a release
// tells the granted waiter alone, a try does not overtake the queue, a waiter that died
// does not hold the others up beyond its lease, and a waiter that gives up leaves
// nothing queued or held. Polls are long (60 s) where a test must tell a grant from a poll.
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisPermitStore, SemaphoreFactory } from '../../../src/index.js';
import { permitKeys, permitQueueKeys } from '../../../src/stores/redis/permit-scripts.js';
import { LockHolder, type Reply } from '../../helpers/child.js';
import { RedisServer, eventually, ready, waitingForPermits } from '../../helpers/redis-server.js';

const script = fileURLToPath(new URL('../../fixtures/redis-permit-holder.mjs', import.meta.url));
const server = await RedisServer.start();
const client = await ready(server.client());
const admin = await ready(server.client());
const port = server.port;

/** How many times the server ran `command` so far, inside scripts too. */
async function calls(redis: Redis, command: string): Promise<number> {
  const info = await redis.info('commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
}

/** Tokens holding permits of `resource`, and the ids queued for them. */
const holders = async (resource: string) => admin.zcard(permitKeys(resource)[0]);
const queued = async (resource: string) => admin.lrange(permitQueueKeys(resource)[0], 0, -1);

/** Children that queued for `resource` one after the other (each behind the ones before it). */
async function queueChildren(resource: string, limit: number, weights: number[]): Promise<Array<{ child: LockHolder; granted: Promise<Reply> }>> {
  const waiters = [];
  for (const [i, weight] of weights.entries()) {
    const child = new LockHolder(script);
    const granted = child.send({ cmd: 'acquire', port, resource, limit, weight, blocking: true, pollInterval: 60_000 });
    await waitingForPermits(admin, resource, 10_000, i + 1);
    waiters.push({ child, granted });
  }
  return waiters;
}

describe('RedisPermitStore wait queue across processes', () => {
  it('grants six waiting processes in the order they queued, each by a release', async () => {
    const resource = 'permit-fifo-six';
    const factory = new SemaphoreFactory(new RedisPermitStore(client));
    const [a, b] = [factory.createSemaphore(resource, 2), factory.createSemaphore(resource, 2)];
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(true);
    const waiters = await queueChildren(resource, 2, [1, 1, 1, 1, 1, 1]);
    const order: number[] = [];
    const pending = new Map(waiters.map(({ granted }, i) => [i, granted.then((reply) => ({ i, reply }))]));
    const next = async () => {
      const { i, reply } = await Promise.race(pending.values());
      pending.delete(i);
      expect(reply.acquired).toBe(true);
      order.push(i);
      expect(await queued(resource)).toHaveLength(pending.size);
      return i;
    };
    await a.release();
    const first = await next();
    await b.release();
    let holding = [first, await next()];
    while (pending.size > 0) {
      // The earliest holder releases: exactly one permit is free, for the next in line.
      await waiters[holding[0]!]!.child.send({ cmd: 'release' });
      holding = [holding[1]!, await next()];
    }
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    for (const i of holding) await waiters[i]!.child.send({ cmd: 'release' });
    expect(await admin.exists(...permitKeys(resource), ...permitQueueKeys(resource))).toBe(0);
  });

  it('does not let lighter waiters behind a weight-2 head overtake it; one release grants both after it', async () => {
    const resource = 'permit-fifo-heavy-head';
    const factory = new SemaphoreFactory(new RedisPermitStore(client));
    const [a, b] = [factory.createSemaphore(resource, 2), factory.createSemaphore(resource, 2)];
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(true);
    const [heavy, light1, light2] = await queueChildren(resource, 2, [2, 1, 1]);
    const ids = await queued(resource);
    await a.release();
    // One permit is free; the head needs two: nobody is granted, not even by a try.
    expect(await factory.createSemaphore(resource, 2).acquire()).toBe(false);
    expect(await holders(resource)).toBe(1);
    expect(await queued(resource)).toEqual(ids);
    await b.release();
    expect((await heavy!.granted).acquired).toBe(true);
    expect(await queued(resource)).toEqual(ids.slice(1));
    await heavy!.child.send({ cmd: 'release' });
    expect((await light1!.granted).acquired).toBe(true);
    expect((await light2!.granted).acquired).toBe(true);
    expect(await holders(resource)).toBe(2);
    expect(await queued(resource)).toEqual([]);
    await light1!.child.send({ cmd: 'release' });
    await light2!.child.send({ cmd: 'release' });
  });

  it('publishes a release to the granted waiter alone', async () => {
    const resource = 'permit-fifo-one-message';
    const factory = new SemaphoreFactory(new RedisPermitStore(client));
    const holder = factory.createSemaphore(resource, 1);
    expect(await holder.acquire()).toBe(true);
    const waiters = await queueChildren(resource, 1, [1, 1, 1, 1]);
    const listener = await ready(server.client());
    const messages: string[] = [];
    listener.on('pmessage', (_pattern, _channel, message: string) => messages.push(message));
    await listener.psubscribe('lockwright:wake:*');
    const [head] = await queued(resource);
    const before = await calls(admin, 'publish');
    await holder.release();
    // The release script published once (INFO counts commands run inside scripts).
    expect((await calls(admin, 'publish')) - before).toBe(1);
    expect((await waiters[0]!.granted).acquired).toBe(true);
    // "<waiter id> + <grant instant, server ms>"
    await eventually(async () => expect(messages).toHaveLength(1));
    const [to, grant, at, ...rest] = messages[0]!.split(' ');
    expect([to, grant, rest]).toEqual([head, '+', []]);
    expect(at).toMatch(/^\d{13}$/);
    expect(await queued(resource)).toHaveLength(3);
    await listener.punsubscribe();
    for (const [i, { child, granted }] of waiters.entries()) {
      expect((await granted).acquired).toBe(true);
      await child.send({ cmd: 'release' }); // each release grants the next
      if (i < 3) expect(await queued(resource)).toHaveLength(2 - i);
    }
  });

  it('skips a waiter whose process was killed at the head of the queue, at once', async () => {
    const resource = 'permit-fifo-killed-head';
    const factory = new SemaphoreFactory(new RedisPermitStore(client));
    const holder = factory.createSemaphore(resource, 1);
    expect(await holder.acquire()).toBe(true);
    const [dead, next] = await queueChildren(resource, 1, [1, 1]);
    dead!.child.child.kill('SIGKILL');
    await dead!.child.exited();
    // Redis sees the dead process's subscriber connection close.
    await eventually(async () => expect(((await admin.pubsub('CHANNELS', 'lockwright:wake:*')) as string[]).length).toBe(1), 10_000);
    const released = performance.now();
    await holder.release();
    expect((await next!.granted).acquired).toBe(true);
    // Granted by the release, not found by the 60 s poll.
    expect(performance.now() - released).toBeLessThan(20_000);
    expect(await holders(resource)).toBe(1);
    await next!.child.send({ cmd: 'release' });
  });

  it('lets the others in once the lease of a weight-2 head that died in the queue ran out', async () => {
    const resource = 'permit-fifo-lease';
    const holder = new SemaphoreFactory(new RedisPermitStore(client)).createSemaphore(resource, 2);
    expect(await holder.acquire()).toBe(true);
    // pollInterval 1 s: the queue keeps this waiter 2 polls plus a second without news.
    // It needs both permits: while it heads the queue, nobody behind it gets the free one.
    const dead = new LockHolder(script);
    void dead.send({ cmd: 'acquire', port, resource, limit: 2, weight: 2, blocking: true, pollInterval: 1_000 });
    await waitingForPermits(admin, resource);
    const [deadId] = await queued(resource);
    dead.child.kill('SIGKILL');
    await dead.exited();
    const waiter = new SemaphoreFactory(new RedisPermitStore(client, { pollInterval: 200 })).createSemaphore(resource, 2);
    expect(await waiter.acquire()).toBe(false);
    expect(await queued(resource)).toEqual([deadId]);
    const started = performance.now();
    expect(await waiter.acquire({ timeout: 60_000 })).toBe(true);
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(await admin.hexists(permitQueueKeys(resource)[1], deadId!)).toBe(0);
    expect(await holders(resource)).toBe(2);
    await waiter.release();
    await holder.release();
  });
});

describe('RedisPermitStore wait queue in one process', () => {
  it('gives free permits to the waiter queued first, not to a try', async () => {
    const resource = 'permit-fifo-try';
    const holder = new SemaphoreFactory(new RedisPermitStore(client)).createSemaphore(resource, 1);
    expect(await holder.acquire()).toBe(true);
    const waiter = new SemaphoreFactory(new RedisPermitStore(client, { pollInterval: 200 })).createSemaphore(resource, 1);
    const granted = waiter.acquire({ timeout: 60_000 });
    await waitingForPermits(admin, resource);
    // The holder's permits go without a release: the queued waiter finds them by its poll.
    await admin.del(...permitKeys(resource));
    const newcomer = new SemaphoreFactory(new RedisPermitStore(client)).createSemaphore(resource, 1);
    expect(await newcomer.acquire()).toBe(false);
    expect(await granted).toBe(true);
    await waiter.release();
    expect(await newcomer.acquire()).toBe(true);
    await newcomer.release();
  });

  it('acquires free permits in one script call, queuing nothing and subscribing to nothing', async () => {
    const resource = 'permit-fifo-uncontended';
    const semaphore = new SemaphoreFactory(new RedisPermitStore(client)).createSemaphore(resource, 2);
    const subscribed = await calls(admin, 'subscribe');
    for (const options of [undefined, true, { timeout: 5_000 }] as const) {
      const before = await calls(admin, 'evalsha');
      expect(await semaphore.acquire(options)).toBe(true);
      expect((await calls(admin, 'evalsha')) - before).toBe(1);
      await semaphore.release();
    }
    expect(await calls(admin, 'subscribe')).toBe(subscribed);
    expect(await admin.exists(...permitQueueKeys(resource))).toBe(0);
  });

  it('a wait that times out leaves nothing queued or held', async () => {
    const resource = 'permit-fifo-timeout';
    const factory = new SemaphoreFactory(new RedisPermitStore(client));
    const holder = factory.createSemaphore(resource, 1);
    expect(await holder.acquire()).toBe(true);
    expect(await factory.createSemaphore(resource, 1).acquire({ timeout: 300 })).toBe(false);
    expect(await admin.exists(...permitQueueKeys(resource))).toBe(0);
    expect(await holders(resource)).toBe(1);
    await holder.release();
    expect(await admin.exists(...permitKeys(resource), ...permitQueueKeys(resource))).toBe(0);
  });

  it('an aborted wait leaves the queue, and gives back permits a racing release granted it', async () => {
    const resource = 'permit-fifo-abort';
    const factory = new SemaphoreFactory(new RedisPermitStore(client));
    for (let round = 0; round < 10; round++) {
      const holder = factory.createSemaphore(resource, 1);
      expect(await holder.acquire()).toBe(true);
      const controller = new AbortController();
      const waiting = factory.createSemaphore(resource, 1).acquire({ signal: controller.signal });
      await waitingForPermits(admin, resource);
      // The release grants the queued waiter while it aborts: whichever wins, nothing stays.
      const released = holder.release();
      controller.abort(new Error(`aborted ${round}`));
      await released;
      await expect(waiting).rejects.toThrow(`aborted ${round}`);
      await eventually(async () => expect(await admin.exists(...permitKeys(resource), ...permitQueueKeys(resource))).toBe(0));
    }
  });
});
