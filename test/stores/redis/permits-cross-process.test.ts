// RedisPermitStore across real processes: permits counted across processes, a waiter in
// another process granted by a release (not by its poll), and permits handed to
// another process with their key.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RedisPermitStore, SemaphoreFactory } from '../../../src/index.js';
import { LockHolder } from '../../helpers/child.js';
import { RedisServer, ready, waitingForPermits } from '../../helpers/redis-server.js';

const script = fileURLToPath(new URL('../../fixtures/redis-permit-holder.mjs', import.meta.url));
const server = await RedisServer.start();
const client = await ready(server.client());
const admin = await ready(server.client());
const port = server.port;
const nowNs = () => process.hrtime.bigint();

describe('RedisPermitStore across processes', () => {
  it('counts permits held by another process, both ways', async () => {
    const child = new LockHolder(script);
    const factory = new SemaphoreFactory(new RedisPermitStore(client));
    expect((await child.send({ cmd: 'acquire', port, resource: 'x-count', limit: 3, weight: 2 })).acquired).toBe(true);
    expect(await factory.createSemaphore('x-count', 3, { weight: 2 }).acquire()).toBe(false);
    const one = factory.createSemaphore('x-count', 3);
    expect(await one.acquire()).toBe(true);
    expect((await child.send({ cmd: 'acquire', port, resource: 'x-count', limit: 3, name: 'b' })).acquired).toBe(false);
    await child.send({ cmd: 'release' });
    expect((await child.send({ cmd: 'acquire', port, resource: 'x-count', limit: 3, weight: 2, name: 'c' })).acquired).toBe(true);
    await one.release();
    await child.send({ cmd: 'release', name: 'c' });
  });

  // How fast a hand-off is belongs to the benchmark; here, only that the release message
  // wakes the other process, long before its 60 s poll would.
  it('wakes a waiter in another process on release, not by its poll', async () => {
    const child = new LockHolder(script);
    await child.ready;
    const factory = new SemaphoreFactory(new RedisPermitStore(client));
    const latencies: number[] = [];
    for (let round = 0; round < 10; round++) {
      const [a, b] = [factory.createSemaphore('x-wake', 2), factory.createSemaphore('x-wake', 2)];
      expect(await a.acquire()).toBe(true);
      expect(await b.acquire()).toBe(true);
      const granted = child.send({ cmd: 'acquire', port, resource: 'x-wake', limit: 2, blocking: true, name: `r${round}`, pollInterval: 60_000 });
      await waitingForPermits(admin, 'x-wake'); // the child queued and blocks
      const releasedAt = nowNs();
      await a.release();
      const reply = await granted;
      expect(reply.acquired).toBe(true);
      latencies.push(Number(BigInt(reply.at as string) - releasedAt) / 1e6);
      await b.release();
      await child.send({ cmd: 'release', name: `r${round}` });
    }
    // Each one well under the 60 s poll, however loaded the machine.
    for (const ms of latencies) expect(ms).toBeLessThan(10_000);
  });

  it('hands a serialized key to another process, which refreshes and releases the permits', async () => {
    const factory = new SemaphoreFactory(new RedisPermitStore(client));
    const semaphore = factory.createSemaphore('x-adopt', 1, { ttl: 5_000, autoRelease: false });
    expect(await semaphore.acquire()).toBe(true);
    const serialized = JSON.stringify(semaphore.key);
    const worker = new LockHolder(script);
    expect(await worker.send({ cmd: 'adopt', port, key: serialized, ttl: 120_000 })).toMatchObject({ refreshed: true, held: true });
    expect(await admin.ttl('{x-adopt}:time')).toBeGreaterThan(100);
    expect(await semaphore.isAcquired()).toBe(true);
    expect(await factory.createSemaphore('x-adopt', 1).acquire()).toBe(false);
    await worker.send({ cmd: 'release' });
    expect(await semaphore.isAcquired()).toBe(false);
    const next = factory.createSemaphore('x-adopt', 1);
    expect(await next.acquire()).toBe(true);
    await next.release();
  });
});
