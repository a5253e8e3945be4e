// MemcachedStore across real processes (each with its own client made from the DSN):
// exclusion both ways, a waiting process let in after a release, a key handed over.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LockFactory, createStore } from '../../../src/index.js';
import { LockHolder } from '../../helpers/child.js';
import { MemcachedServer } from '../../helpers/memcached-server.js';

const script = fileURLToPath(new URL('../../fixtures/kv-lock-holder.mjs', import.meta.url));
const server = await MemcachedServer.start();
const dsn = `${server.dsn}?poll_interval=50`;
const store = createStore(dsn);
const nowNs = () => process.hrtime.bigint();

describe('MemcachedStore across processes', () => {
  it('excludes another process, both ways', async () => {
    const child = new LockHolder(script);
    expect((await child.send({ cmd: 'acquire', dsn, resource: 'x-exclusion' })).acquired).toBe(true);
    const lock = new LockFactory(store).createLock('x-exclusion');
    expect(await lock.acquire()).toBe(false);
    await child.send({ cmd: 'release' });
    expect(await lock.acquire()).toBe(true);
    expect((await child.send({ cmd: 'acquire', dsn, resource: 'x-exclusion', name: 'b' })).acquired).toBe(false);
    await lock.release();
    expect((await child.send({ cmd: 'acquire', dsn, resource: 'x-exclusion', name: 'c' })).acquired).toBe(true);
  });

  it('lets a waiting process in after a release, within the poll interval', async () => {
    const child = new LockHolder(script);
    await child.ready;
    const lock = new LockFactory(store).createLock('x-handoff');
    const latencies: number[] = [];
    for (let round = 0; round < 10; round++) {
      expect(await lock.acquire()).toBe(true);
      const granted = child.send({ cmd: 'acquire', dsn, resource: 'x-handoff', blocking: true, name: `r${round}` });
      await new Promise((r) => setTimeout(r, 120)); // the child is waiting (it polls every 50 ms)
      const releasedAt = nowNs();
      await lock.release();
      const reply = await granted;
      expect(reply.acquired).toBe(true);
      latencies.push(Number(BigInt(reply.at as string) - releasedAt) / 1e6);
      await child.send({ cmd: 'release', name: `r${round}` });
    }
    latencies.sort((a, b) => a - b);
    // Within a few of the child's 50 ms polls (the default 1 s cadence would not be), with
    // room for a busy machine.
    expect(latencies[Math.floor(latencies.length / 2)]!).toBeLessThan(5_000);
  });

  it('hands a serialized key to another process, which refreshes and releases it', async () => {
    const lock = new LockFactory(store).createLock('x-adopt', { ttl: 5_000, autoRelease: false });
    expect(await lock.acquire()).toBe(true);
    const worker = new LockHolder(script);
    const reply = await worker.send({ cmd: 'adopt', dsn, key: JSON.stringify(lock.key), ttl: 10_000 });
    expect(reply).toMatchObject({ refreshed: true, held: true });
    expect(await new LockFactory(store).createLock('x-adopt').acquire()).toBe(false);
    await worker.send({ cmd: 'release' });
    expect(await lock.isAcquired()).toBe(false);
  });
});
