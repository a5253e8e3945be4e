// ZookeeperStore across real processes, each with its own session (from the DSN):
// exclusion both ways, a waiter woken by a release, and eight waiting processes served
// in the order they queued (the server's FIFO, not the luck of pollers).
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LockFactory, createStore } from '../../../src/index.js';
import { LockHolder } from '../../helpers/child.js';
import { ZookeeperServer } from '../../helpers/zookeeper-server.js';

const script = fileURLToPath(new URL('../../fixtures/kv-lock-holder.mjs', import.meta.url));
const server = await ZookeeperServer.start();
const dsn = server.dsn();
const store = createStore(dsn);
const admin = await server.client();
const nowNs = () => process.hrtime.bigint();
const queued = (resource: string) =>
  new Promise<number>((resolve) =>
    admin.getChildren(`/lockwright-waiters/${resource}`, (error: unknown, list?: string[]) => resolve(error ? 0 : (list ?? []).length)),
  );

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ZookeeperStore across processes', () => {
  it('excludes another process, both ways', async () => {
    const child = new LockHolder(script);
    expect((await child.send({ cmd: 'acquire', dsn, resource: 'x-exclusion' })).acquired).toBe(true);
    const lock = new LockFactory(store).createLock('x-exclusion');
    expect(await lock.acquire()).toBe(false);
    await child.send({ cmd: 'release' });
    expect(await lock.acquire()).toBe(true);
    expect((await child.send({ cmd: 'acquire', dsn, resource: 'x-exclusion', name: 'b' })).acquired).toBe(false);
    await lock.release();
  });

  // A busy machine slows the child's start and the server's expiry tick: a generous bound.
  it('frees the locks of a process that dies (its session closes with it, or expires)', { timeout: 90_000 }, async () => {
    const child = new LockHolder(script);
    expect((await child.send({ cmd: 'acquire', dsn, resource: 'x-killed' })).acquired).toBe(true);
    child.child.kill('SIGKILL');
    const lock = new LockFactory(store).createLock('x-killed');
    // The session timeout of a DSN store is 10 s: the server frees the lock then at the
    // latest, well within this bound (which only keeps a failure from hanging).
    expect(await lock.acquire({ timeout: 60_000 })).toBe(true);
    await lock.release();
  });

  // ZookeeperStore never polls: a queued waiter can only get the lock through the watch on
  // its predecessor, so ten grants after ten releases are the watch working (a lost watch
  // hangs the round until the test's timeout). How fast it is, is the bench's business.
  it('wakes a waiter in another process on release, by a watch', async () => {
    const child = new LockHolder(script);
    await child.ready;
    const lock = new LockFactory(store).createLock('x-handoff');
    for (let round = 0; round < 10; round++) {
      expect(await lock.acquire()).toBe(true);
      const granted = child.send({ cmd: 'acquire', dsn, resource: 'x-handoff', blocking: true, name: `r${round}` });
      await until(async () => (await queued('x-handoff')) === 1);
      const releasedAt = nowNs();
      await lock.release();
      const reply = await granted;
      expect(reply.acquired).toBe(true);
      // The child's grant came after this release (its stamp shares our monotonic clock).
      expect(BigInt(reply.at as string)).toBeGreaterThan(releasedAt);
      await child.send({ cmd: 'release', name: `r${round}` });
    }
  });

  it('serves eight waiting processes in the order they queued', async () => {
    const lock = new LockFactory(store).createLock('x-fifo');
    expect(await lock.acquire()).toBe(true);
    const children = Array.from({ length: 8 }, () => new LockHolder(script));
    await Promise.all(children.map((c) => c.ready));
    const grants: Array<Promise<{ index: number; at: bigint }>> = [];
    for (const [index, child] of children.entries()) {
      grants.push(
        child.send({ cmd: 'acquire', dsn, resource: 'x-fifo', blocking: true }).then(async (reply) => {
          expect(reply.acquired).toBe(true);
          const at = BigInt(reply.at as string);
          await child.send({ cmd: 'release' });
          return { index, at };
        }),
      );
      // Each joins the queue before the next one starts: the order is known.
      await until(async () => (await queued('x-fifo')) === index + 1);
    }
    await lock.release();
    const order = (await Promise.all(grants)).sort((a, b) => (a.at < b.at ? -1 : 1)).map((g) => g.index);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await queued('x-fifo')).toBe(0);
  });
});
