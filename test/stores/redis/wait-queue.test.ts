// RedisStore's wait queue across real processes: waiters are granted in the order they
// queued, a release hands the lock to the head alone, a newcomer does not overtake the
// queue, and a waiter that died does not hold the others up beyond its lease.
// Polls are long (60 s) where a test must tell a hand-off from a poll.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Key, LockFactory, RedisStore } from '../../../src/index.js';
import { leasesKey, queueKey } from '../../../src/stores/redis/client.js';
import { LockHolder, type Reply } from '../../helpers/child.js';
import { RedisServer, eventually, ready, waitingFor } from '../../helpers/redis-server.js';

const script = fileURLToPath(new URL('../../fixtures/redis-lock-holder.mjs', import.meta.url));
const server = await RedisServer.start();
const client = await ready(server.client());
const admin = await ready(server.client());
const port = server.port;

/** Stores subscribed to their wake-up channel: one per process with a waiter. */
const wakeChannels = async () => ((await admin.pubsub('CHANNELS', 'lockwright:wake:*')) as string[]).length;

describe('RedisStore wait queue across processes', () => {
  it('grants eight waiting processes in the order they queued, each by the release before it', async () => {
    const resource = 'fifo-eight';
    const store = new RedisStore(client);
    const holder = new Key(resource);
    await store.save(holder);
    const children = Array.from({ length: 8 }, () => new LockHolder(script));
    const grants: Array<Promise<Reply>> = [];
    for (const [i, child] of children.entries()) {
      grants.push(child.send({ cmd: 'acquire', port, resource, blocking: true, pollInterval: 60_000 }));
      await waitingFor(admin, resource, 10_000, i + 1); // queued behind the ones before it
    }
    await store.delete(holder);
    const order: number[] = [];
    const pending = new Map(grants.map((grant, i) => [i, grant.then((reply) => ({ i, reply }))]));
    while (pending.size > 0) {
      const { i, reply } = await Promise.race(pending.values());
      pending.delete(i);
      expect(reply.acquired).toBe(true);
      order.push(i);
      // Nobody else holds it meanwhile; the next one waits for this release.
      expect(await admin.llen(queueKey(resource))).toBe(pending.size);
      await children[i]!.send({ cmd: 'release' });
    }
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await admin.exists(resource, queueKey(resource), leasesKey(resource))).toBe(0);
  });

  it('gives a free lock to the waiter queued first, not to a newcomer', async () => {
    const resource = 'fifo-newcomer';
    const store = new RedisStore(client);
    await store.save(new Key(resource));
    const child = new LockHolder(script);
    const granted = child.send({ cmd: 'acquire', port, resource, blocking: true, pollInterval: 500 });
    await waitingFor(admin, resource);
    // The holder's key goes away without a release (as when its TTL runs out): nobody is
    // handed the lock, the queued child finds it by its poll.
    await admin.del(resource);
    const newcomer = new LockFactory(store).createLock(resource);
    expect(await newcomer.acquire()).toBe(false);
    expect((await granted).acquired).toBe(true);
    expect(await newcomer.acquire()).toBe(false);
    await child.send({ cmd: 'release' });
    expect(await newcomer.acquire()).toBe(true);
    await newcomer.release();
  });

  it('skips a waiter whose process was killed at the head of the queue, at once', async () => {
    const resource = 'fifo-killed-head';
    const store = new RedisStore(client);
    const holder = new Key(resource);
    await store.save(holder);
    const dead = new LockHolder(script);
    void dead.send({ cmd: 'acquire', port, resource, blocking: true, pollInterval: 60_000 });
    await waitingFor(admin, resource, 10_000, 1);
    const next = new LockHolder(script);
    const granted = next.send({ cmd: 'acquire', port, resource, blocking: true, pollInterval: 60_000 });
    await waitingFor(admin, resource, 10_000, 2);
    dead.child.kill('SIGKILL');
    await dead.exited();
    // Redis sees the dead process's connections close.
    await eventually(async () => expect(await wakeChannels()).toBe(1), 10_000);
    const released = performance.now();
    await store.delete(holder);
    expect((await granted).acquired).toBe(true);
    // Handed over by the release, not found by the 60 s poll nor after the dead one's lease.
    expect(performance.now() - released).toBeLessThan(20_000); // the dead one would hold it 30 s
    await next.send({ cmd: 'release' });
  });

  it('lets the others in once the lease of a waiter that died in the queue ran out', async () => {
    const resource = 'fifo-lease';
    const store = new RedisStore(client);
    await store.save(new Key(resource));
    // pollInterval 1 s: the queue keeps this waiter 2 polls plus a second without news.
    const dead = new LockHolder(script);
    void dead.send({ cmd: 'acquire', port, resource, blocking: true, pollInterval: 1_000 });
    await waitingFor(admin, resource);
    const [deadId] = await admin.lrange(queueKey(resource), 0, -1);
    dead.child.kill('SIGKILL');
    await dead.exited();
    // The holder's key goes as when its TTL runs out: no release hands the lock over, and
    // the dead waiter stays at the head of the queue until its lease runs out.
    await admin.del(resource);
    const waiter = new LockFactory(new RedisStore(client, { pollInterval: 200 })).createLock(resource);
    expect(await waiter.acquire()).toBe(false);
    expect(await admin.lindex(queueKey(resource), 0)).toBe(deadId);
    const started = performance.now();
    expect(await waiter.acquire({ timeout: 60_000 })).toBe(true);
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(await admin.hexists(leasesKey(resource), deadId!)).toBe(0);
    await waiter.release();
  });
});
