// PostgreSqlStore across processes (the child runs the built package, dist/): exclusion
// both ways, and a waiter in another process woken by the server when the holder
// releases: one waiting statement the whole time (pg_stat_activity), resumed within a
// generous bound that no poll interval would need to meet.
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Key, LockFactory, PostgreSqlStore } from '../../../src/index.js';
import { LockHolder } from '../../helpers/child.js';
import { PG_DSN, advisoryHolders, pgClient, until } from '../../helpers/postgres.js';

const script = fileURLToPath(new URL('../../fixtures/advisory-lock-holder.mjs', import.meta.url));
const admin = await pgClient();

async function waitStatements(id: number): Promise<Array<{ pid: number; query_start: Date }>> {
  const { rows } = await admin.query(
    `SELECT a.pid, a.query_start FROM pg_stat_activity a
       JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND NOT l.granted AND l.objid = $1::oid
      WHERE a.wait_event_type = 'Lock'`,
    [String(id)],
  );
  return rows;
}

describe('PostgreSqlStore across processes', () => {
  it('excludes both ways', async () => {
    const child = new LockHolder(script);
    const store = new PostgreSqlStore(await pgClient());
    const lock = new LockFactory(store).createLock('pg-xp-exclusion');
    expect((await child.send({ cmd: 'acquire', dsn: PG_DSN, resource: 'pg-xp-exclusion' })).acquired).toBe(true);
    expect(await lock.acquire()).toBe(false);
    expect(await lock.acquireRead()).toBe(false);
    await child.send({ cmd: 'release' });
    expect(await lock.acquire()).toBe(true);
    expect((await child.send({ cmd: 'acquire', dsn: PG_DSN, resource: 'pg-xp-exclusion', shared: true })).acquired).toBe(false);
    await lock.release();
    await child.send({ cmd: 'exit' });
  });

  it('wakes a waiter in another process on release: one statement on the server, no polling', async () => {
    const child = new LockHolder(script);
    await child.ready;
    const resource = 'pg-xp-wakeup';
    const id = crc32(Buffer.from(resource));
    const store = new PostgreSqlStore(await pgClient());
    const key = new Key(resource);
    await store.save(key);
    const waiting = child.send({ cmd: 'acquire', dsn: PG_DSN, resource, blocking: true });
    expect(await until(async () => (await waitStatements(id)).length === 1)).toBe(true);
    const [first] = await waitStatements(id);
    await new Promise((r) => setTimeout(r, 1_000));
    const [later] = await waitStatements(id);
    expect(later).toEqual(first); // same backend, same statement start: nobody re-asked
    const releasedAt = process.hrtime.bigint();
    await store.delete(key);
    const reply = await waiting;
    expect(reply.acquired).toBe(true);
    const resumedMs = Number(BigInt(reply.at!) - releasedAt) / 1e6;
    // Generous: the wake-up itself takes a couple of round trips; a poller at Symfony's
    // 100 ms would show as a new statement above, which it did not.
    expect(resumedMs).toBeLessThan(1_000);
    expect((await advisoryHolders(admin, id)).length).toBe(1);
    expect(await store.exists(new Key(resource))).toBe(false);
    await child.send({ cmd: 'release' });
    await child.send({ cmd: 'exit' });
  });

  it('a timed-out wait in another process leaves nothing held or queued', async () => {
    const child = new LockHolder(script);
    const resource = 'pg-xp-timeout';
    const id = crc32(Buffer.from(resource));
    const store = new PostgreSqlStore(await pgClient());
    const key = new Key(resource);
    await store.save(key);
    expect((await child.send({ cmd: 'acquire', dsn: PG_DSN, resource, timeout: 300 })).acquired).toBe(false);
    expect(await waitStatements(id)).toEqual([]);
    expect((await advisoryHolders(admin, id)).length).toBe(1);
    await store.delete(key);
    expect(await advisoryHolders(admin, id)).toEqual([]);
    await child.send({ cmd: 'exit' });
  });

  it('releases the locks of a process that dies (its session ends)', async () => {
    const child = new LockHolder(script);
    const resource = 'pg-xp-crash';
    expect((await child.send({ cmd: 'acquire', dsn: PG_DSN, resource })).acquired).toBe(true);
    const lock = new LockFactory(new PostgreSqlStore(await pgClient())).createLock(resource);
    const waiting = lock.acquire({ timeout: 10_000 });
    child.child.kill('SIGKILL');
    expect(await waiting).toBe(true);
    await lock.release();
  });
});
