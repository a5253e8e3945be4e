// lockwright's database stores, each built from a DSN the way createStore() builds it
// (the store owns its connections; session close() ends them): the advisory-lock stores
// PostgreSqlStore and MysqlStore, and SqlStore on PostgreSQL, MariaDB and SQLite. The
// servers are the machine's shared PostgreSQL and MariaDB (DSNs below, overridable by
// environment variables); SQLite is a file in the run's directory. SqlStore uses a
// bench-only table, so the bench never touches anybody's lock_keys.
import { join } from 'node:path';
import type { PersistingStore } from '../../dist/index.js';
import type { LockEnv } from '../harness/workspace.js';
import { lockwright, session } from './lockwright.js';
import type { Library } from './types.js';

export const DATABASE_DSNS = {
  pgAdvisory: process.env.BENCH_PG_ADVISORY_DSN ?? 'postgresql+advisory://postgres@127.0.0.1:5432/test',
  mysqlAdvisory: process.env.BENCH_MYSQL_ADVISORY_DSN ?? 'mysql+advisory://root@127.0.0.1:3306/test',
  pg: process.env.BENCH_PG_DSN ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env.BENCH_MYSQL_DSN ?? 'mysql://root@127.0.0.1:3306/test',
};

/** SqlStore's table for the bench (and its fencing sequence on PostgreSQL): dropped at the end. */
export const BENCH_SQL_TABLE = 'lockwright_bench_lock_keys';
/** Lock lifetime of every SqlStore row (a held row expires after it). */
export const SQL_TTL_MS = 30_000;

export const sqliteFile = (env: LockEnv) => join(env.dir, 'bench-locks.sqlite');

const calls = { acquire: 'await lock.acquire(true)', tryAcquire: 'await lock.acquire()', release: 'await lock.release()' };

type ClosableStore = PersistingStore & { close?(): Promise<void> };

async function owned(store: ClosableStore, ttl?: number) {
  return session(store, ttl, async () => {
    await store.close?.();
  });
}

async function sqlStore(dsn: string): Promise<ClosableStore> {
  // The path createStore(dsn) takes, plus the bench's own table name.
  const { sqlStoreFromDsn } = await import('../../dist/stores/sql/backend.js');
  return sqlStoreFromDsn(dsn, { table: BENCH_SQL_TABLE }) as ClosableStore;
}

export const lockwrightPgAdvisory: Library = {
  id: 'lockwright-pg-advisory',
  name: 'lockwright PostgreSqlStore (advisory)',
  backend: 'database',
  waits: 'on the server: `pg_advisory_xact_lock` on a wait connection, woken by the release; then `pg_try_advisory_lock` on the pinned session',
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls,
  connect: async () => owned((await lockwright()).createStore(DATABASE_DSNS.pgAdvisory)),
};

export const lockwrightMysqlAdvisory: Library = {
  id: 'lockwright-mysql-advisory',
  name: 'lockwright MysqlStore (advisory)',
  backend: 'database',
  waits: 'on the server: `GET_LOCK(name, timeout)` on a wait connection, woken by the release; then `GET_LOCK(name, 0)` on the pinned session',
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls,
  connect: async () => owned((await lockwright()).createStore(DATABASE_DSNS.mysqlAdvisory)),
};

export const lockwrightSqlPostgres: Library = {
  id: 'lockwright-sql-pg',
  name: 'lockwright SqlStore on PostgreSQL',
  backend: 'database',
  waits: "LISTEN on a pooled connection while someone waits; a release's DELETE … RETURNING runs pg_notify in the same statement; fallback poll 1 s",
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls,
  connect: async () => owned(await sqlStore(DATABASE_DSNS.pg), SQL_TTL_MS),
};

export const lockwrightSqlMysql: Library = {
  id: 'lockwright-sql-mysql',
  name: 'lockwright SqlStore on MariaDB',
  backend: 'database',
  pollMs: 100,
  waits: "polls the upsert (no notifications on MySQL/MariaDB): pollInterval 100 ms (default), bounded by the holder's expiry",
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls,
  connect: async () => owned(await sqlStore(DATABASE_DSNS.mysql), SQL_TTL_MS),
};

export const lockwrightSqlSqlite: Library = {
  id: 'lockwright-sql-sqlite',
  name: 'lockwright SqlStore on SQLite',
  backend: 'database',
  pollMs: 100,
  waits: "polls the upsert (another process cannot notify): pollInterval 100 ms (default), bounded by the holder's expiry; statements run synchronously (better-sqlite3)",
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls,
  connect: async (env: LockEnv) => owned(await sqlStore(`sqlite://${sqliteFile(env)}`), SQL_TTL_MS),
};
