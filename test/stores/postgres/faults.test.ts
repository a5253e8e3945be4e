// A PostgreSqlStore whose session the server ends (pg_terminate_backend, as a restart or
// an admin would): every Lock held on it learns at once (signal aborted, "lost"
// published), isAcquired() is false, nothing crashes, and a DSN store reconnects.
import { describe, expect, it } from 'vitest';
import { LockFactory, LockStorageError, PostgreSqlStore } from '../../../src/index.js';
import { expectDsnStoreReconnects } from '../../helpers/advisory-stores.js';
import { watchLost } from '../../helpers/lost-watch.js';
import { PG_DSN, pgClient, until } from '../../helpers/postgres.js';

const admin = await pgClient();
const { lost, uncaught } = watchLost();

const terminate = (pid: number) => admin.query('SELECT pg_terminate_backend($1)', [pid]);

describe('PostgreSqlStore when the server ends the session', () => {
  it('aborts the signal of every lock held on a user client, and isAcquired() is false', async () => {
    const client = await pgClient();
    const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    const factory = new LockFactory(new PostgreSqlStore(client));
    const write = factory.createLock('pg-lost-write');
    const read = factory.createLock('pg-lost-read');
    expect(await write.acquire()).toBe(true);
    expect(await read.acquireRead()).toBe(true);
    const signals = [write.signal, read.signal];
    await terminate(pid);
    expect(await until(() => signals.every((s) => s.aborted))).toBe(true);
    for (const s of signals) expect(s.reason).toBeInstanceOf(LockStorageError);
    expect(lost.filter((m) => m.lock === write || m.lock === read)).toHaveLength(2);
    expect(await write.isAcquired()).toBe(false);
    expect(await read.isAcquired()).toBe(false);
    // The dead client cannot take locks any more: a typed error, not a hang or a crash.
    await expect(factory.createLock('pg-lost-after').acquire()).rejects.toThrow(/Failed to acquire/);
    expect(uncaught).toEqual([]);
  });

  it('on a DSN store: aborts the signal, then reconnects for the next acquire', async () => {
    await expectDsnStoreReconnects(
      new PostgreSqlStore(PG_DSN),
      'pg-lost-dsn',
      async (resource) => {
        const { rows } = await admin.query(
          "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = $1::oid AND granted",
          [String((await import('node:zlib')).crc32(Buffer.from(resource)))],
        );
        expect(rows).toHaveLength(1);
        await terminate(rows[0].pid);
      },
      uncaught,
    );
  });

  it('fails a wait whose wait connection is terminated, with a typed error', async () => {
    const holder = new PostgreSqlStore(await pgClient());
    const store = new PostgreSqlStore(await pgClient());
    const factory = new LockFactory(store);
    const held = factory.createLock('pg-wait-killed');
    const { Key } = await import('../../../src/index.js');
    const key = new Key('pg-wait-killed');
    await holder.save(key);
    const waiting = held.acquire(true).catch((e: unknown) => e);
    let waiterPid: number | undefined;
    expect(
      await until(async () => {
        const { rows } = await admin.query("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%pg_advisory_xact_lock%'");
        waiterPid = rows[0]?.pid;
        return waiterPid !== undefined;
      }),
    ).toBe(true);
    await terminate(waiterPid!);
    const error = await waiting;
    expect((error as Error).name).toBe('LockAcquiringError');
    expect((error as Error).cause).toBeInstanceOf(LockStorageError);
    await holder.delete(key);
    // The store itself is fine: the next wait opens a new wait connection.
    expect(await held.acquire({ timeout: 5_000 })).toBe(true);
    await held.release();
    await Promise.all([holder.close(), store.close()]);
    expect(uncaught).toEqual([]);
  });
});
