// SqlStore across real processes, on each database: exclusion both ways, a waiter in
// another process woken by the release (NOTIFY on PostgreSQL: within milliseconds and a
// handful of statements although its poll interval is 10 s; polling elsewhere: within
// the 100 ms poll), a holder killed mid-hold freeing the lock at its expiry, and a key
// handed to another process.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LockFactory, SqlStore } from '../../../src/index.js';
import { LockHolder } from '../../helpers/child.js';
import { MYSQL_URL, PG_URL, mysqlPool, postgresPool, sqliteDatabase, sqliteFile, tableName } from '../../helpers/sql-servers.js';

const script = fileURLToPath(new URL('../../fixtures/sql-lock-holder.mjs', import.meta.url));
const nowNs = () => process.hrtime.bigint();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const pgTable = tableName('xp_pg');
const myTable = tableName('xp_my');
const pool = await postgresPool([pgTable]);
const myPool = await mysqlPool([myTable]);
const file = sqliteFile();
const db = sqliteDatabase(file);

const targets = [
  { dialect: 'postgres', url: PG_URL, table: pgTable, store: () => new SqlStore(pool, { table: pgTable }) },
  { dialect: 'mysql', url: MYSQL_URL, table: myTable, store: () => new SqlStore(myPool, { table: myTable }) },
  { dialect: 'sqlite', url: file, table: 'lock_keys', store: () => new SqlStore(db) },
] as const;

describe.each(targets)('SqlStore across processes ($dialect)', ({ dialect, url, table, store }) => {
  const at = { dialect, url, table };

  it('excludes another process, both ways', async () => {
    const child = new LockHolder(script);
    const factory = new LockFactory(store());
    expect((await child.send({ cmd: 'acquire', ...at, resource: 'x-exclusion' })).acquired).toBe(true);
    const lock = factory.createLock('x-exclusion');
    expect(await lock.acquire()).toBe(false);
    await child.send({ cmd: 'release' });
    expect(await lock.acquire()).toBe(true);
    expect((await child.send({ cmd: 'acquire', ...at, resource: 'x-exclusion', name: 'b' })).acquired).toBe(false);
    await lock.release();
    expect((await child.send({ cmd: 'acquire', ...at, resource: 'x-exclusion', name: 'c' })).acquired).toBe(true);
  });

  it('wakes a waiter in another process when the lock is released', async () => {
    const child = new LockHolder(script);
    await child.ready;
    const lock = new LockFactory(store()).createLock('x-wake');
    const latencies: number[] = [];
    const statements: number[] = [];
    for (let round = 0; round < 5; round++) {
      expect(await lock.acquire()).toBe(true);
      // PostgreSQL: a 10 s poll, so only a notification can wake the waiter in time.
      const pollInterval = dialect === 'postgres' ? 10_000 : undefined;
      const granted = child.send({ cmd: 'acquire', ...at, pollInterval, resource: 'x-wake', blocking: true, name: `r${round}` });
      if (dialect === 'postgres') await listening(pgTable);
      await sleep(100); // let the waiter block (a release before it does only makes its wait shorter)
      const releasedAt = nowNs();
      await lock.release();
      const reply = await granted;
      expect(reply.acquired, JSON.stringify(reply)).toBe(true);
      latencies.push(Number(BigInt(reply.at as string) - releasedAt) / 1e6);
      statements.push(reply.statements as number);
      await child.send({ cmd: 'release', name: `r${round}` });
    }
    latencies.sort((a, b) => a - b);
    const median = latencies[Math.floor(latencies.length / 2)]!;
    if (dialect === 'postgres') {
      // Woken by NOTIFY: well before the 10 s poll could have (room for a busy machine);
      // and a wait costs its tries only (first try, try once listening, try when woken;
      // gc adds one at 1%).
      expect(latencies.at(-1)!).toBeLessThan(5_000);
      for (const count of statements) expect(count).toBeLessThanOrEqual(4);
    } else {
      // Polled every 100 ms (jittered): resumed within a few polls (a slower cadence, such
      // as a 1 s default, would not be), with room for a busy machine.
      expect(median).toBeLessThan(5_000);
    }
  });

  it('frees the lock of a killed holder at its expiry, and a waiter gets it then', async () => {
    const child = new LockHolder(script);
    expect((await child.send({ cmd: 'acquire', ...at, resource: 'x-killed', ttl: 2_000 })).acquired).toBe(true);
    child.child.kill('SIGKILL');
    await child.exited();
    const lock = new LockFactory(store()).createLock('x-killed');
    expect(await lock.acquire()).toBe(false);
    const started = performance.now();
    expect(await lock.acquire({ timeout: 15_000 })).toBe(true);
    // The row lives 2 s rounded up to the next whole second by the database clock.
    expect(performance.now() - started).toBeLessThan(6_000);
    await lock.release();
  });

  it('hands a serialized key to another process, which refreshes and releases it', async () => {
    const factory = new LockFactory(store());
    const lock = factory.createLock('x-adopt', { ttl: 5_000, autoRelease: false });
    expect(await lock.acquire()).toBe(true);
    const worker = new LockHolder(script);
    const adopted = await worker.send({ cmd: 'adopt', ...at, key: JSON.stringify(lock.key), ttl: 60_000 });
    expect(adopted).toMatchObject({ refreshed: true, held: true });
    expect(await lock.isAcquired()).toBe(true);
    expect(await factory.createLock('x-adopt').acquire()).toBe(false);
    await worker.send({ cmd: 'release' });
    expect(await lock.isAcquired()).toBe(false);
    expect(await factory.createLock('x-adopt').acquire()).toBe(true);
  });
});

/** Resolves once some backend has run LISTEN on the table's channel (the child's). */
async function listening(table: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { rowCount } = await pool.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE $1", [`LISTEN "lockwright:${table}"`]);
    if (rowCount) return;
    await sleep(10);
  }
  throw new Error('the waiting child never ran LISTEN');
}
