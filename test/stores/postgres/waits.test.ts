// PostgreSqlStore waits are the server's: one statement per wait (seen in
// pg_stat_activity as waiting on a Lock), bounded by lock_timeout, cancelled with
// pg_cancel_backend, leaving nothing held, and never in the way of the store's other
// operations.
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Key, LockFactory, PostgreSqlStore } from '../../../src/index.js';
import { expectOneStatementWait, expectWaitNeverBlocksStore, type ServerWaits } from '../../helpers/advisory-stores.js';
import { advisoryHolders, pgClient, until } from '../../helpers/postgres.js';

const admin = await pgClient();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Backends of the test database waiting for an advisory transaction lock on `id`. */
async function waitingOn(id: number): Promise<Array<{ pid: number; query_start: Date; query: string }>> {
  const { rows } = await admin.query(
    `SELECT a.pid, a.query_start, a.query FROM pg_stat_activity a
       JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND NOT l.granted AND l.objid = $1::oid
      WHERE a.wait_event_type = 'Lock'`,
    [String(id)],
  );
  return rows;
}

type Wait = Awaited<ReturnType<typeof waitingOn>>[number];
/** Advisory transaction-lock waits in pg_stat_activity: same backend, same statement. */
const advisoryWaits: ServerWaits<Wait> = {
  on: (resource) => waitingOn(crc32(Buffer.from(resource))),
  same(first, later) {
    expect(later.pid).toBe(first.pid);
    expect(later.query_start.getTime()).toBe(first.query_start.getTime());
  },
  async gone(first) {
    return (await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [first.pid])).rows.length === 0;
  },
};

describe('PostgreSqlStore waits', () => {
  it('waits with one statement on the server, not by polling', async () => {
    await expectOneStatementWait(new PostgreSqlStore(await pgClient()), new PostgreSqlStore(await pgClient()), 'pg-one-statement', advisoryWaits, 1_500, (first) =>
      expect(first.query).toMatch(/pg_advisory_xact_lock\(\d+::bigint\)/),
    );
  });

  it('times out with lock_timeout and leaves nothing held or waiting', async () => {
    const holder = new PostgreSqlStore(await pgClient());
    const waiter = new PostgreSqlStore(await pgClient());
    const resource = 'pg-timeout';
    const id = crc32(Buffer.from(resource));
    const held = new Key(resource);
    await holder.save(held);
    const lock = new LockFactory(waiter).createLock(resource);
    const started = performance.now();
    expect(await lock.acquire({ timeout: 300 })).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(await waitingOn(id)).toEqual([]);
    expect((await advisoryHolders(admin, id)).length).toBe(1);
    await holder.delete(held);
    expect(await advisoryHolders(admin, id)).toEqual([]);
    await Promise.all([holder.close(), waiter.close()]);
  });

  it('cancels an aborted wait on the server, holding nothing, even if the lock frees right after', async () => {
    const holder = new PostgreSqlStore(await pgClient());
    const waiter = new PostgreSqlStore(await pgClient());
    const resource = 'pg-abort';
    const id = crc32(Buffer.from(resource));
    const held = new Key(resource);
    await holder.save(held);
    const controller = new AbortController();
    const reason = new Error('enough');
    const lock = new LockFactory(waiter).createLock(resource);
    // Handled at once: the rejection may come before the expect below is reached.
    const waiting = lock.acquire({ signal: controller.signal }).catch((e: unknown) => e);
    expect(await until(async () => (await waitingOn(id)).length === 1)).toBe(true);
    controller.abort(reason);
    await holder.delete(held);
    expect(await waiting).toBe(reason);
    expect(await waitingOn(id)).toEqual([]);
    expect(await advisoryHolders(admin, id)).toEqual([]);
    expect(await lock.isAcquired()).toBe(false);
    await Promise.all([holder.close(), waiter.close()]);
  });

  it('never lets a pending wait hold up other operations of the same store', async () => {
    await expectWaitNeverBlocksStore(new PostgreSqlStore(await pgClient()), new PostgreSqlStore(await pgClient()), 'pg-blocked', advisoryWaits.on);
  });

  it('waits for a shared lock while a writer holds, and lets many readers in at once', async () => {
    const writer = new PostgreSqlStore(await pgClient());
    const readers = new PostgreSqlStore(await pgClient());
    const resource = 'pg-shared-wait';
    const held = new Key(resource);
    await writer.save(held);
    const keys = [new Key(resource), new Key(resource), new Key(resource)];
    const waits = keys.map((k) => readers.waitAndSaveRead(k));
    // Only the first reader waits on the server; the others wait in this process.
    expect(await until(async () => (await waitingOn(crc32(Buffer.from(resource)))).length === 1)).toBe(true);
    await writer.delete(held);
    await Promise.all(waits);
    for (const k of keys) expect(await readers.exists(k)).toBe(true);
    expect((await advisoryHolders(admin, crc32(Buffer.from(resource)))).map((h) => h.mode)).toEqual(['ShareLock']);
    for (const k of keys) await readers.delete(k);
    await Promise.all([writer.close(), readers.close()]);
  });

  it('promotes across sessions: waits until a reader of another session leaves', async () => {
    const other = new PostgreSqlStore(await pgClient());
    const store = new PostgreSqlStore(await pgClient());
    const resource = 'pg-promote-remote';
    const remote = new Key(resource);
    await other.saveRead(remote);
    const lock = new LockFactory(store).createLock(resource);
    expect(await lock.acquireRead()).toBe(true);
    expect(await lock.acquire({ timeout: 200 })).toBe(false); // a failed promotion holds nothing
    expect(await lock.isAcquired()).toBe(false);
    expect(await lock.acquireRead()).toBe(true);
    const promoting = lock.acquire({ timeout: 10_000 });
    await sleep(100);
    await other.delete(remote);
    expect(await promoting).toBe(true);
    expect((await advisoryHolders(admin, crc32(Buffer.from(resource)))).map((h) => h.mode)).toEqual(['ExclusiveLock']);
    await lock.release();
    await Promise.all([other.close(), store.close()]);
  });
});
