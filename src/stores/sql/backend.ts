// postgres://, postgresql://, mysql://, mariadb:// and sqlite: DSNs, and pg / mysql2 /
// better-sqlite3 clients, for createStore(). The driver is loaded only when a DSN needs it.
import type { StoreBackend } from '../backend.js';
import { loadOptionalPeer } from '../optional-peer.js';
import { isSqlClient, type MysqlCallbackClient, type PgClient, type SqlClient, type SqliteDatabase } from './client.js';
import { SQL_DSN, parseSqlDsn } from './dsn.js';
import type { SqlStoreOptions } from './options.js';
import { SqlStore, ownedSqlStore } from './sql-store.js';

export const sqlBackend: StoreBackend = {
  dsnForms: ['postgres://…', 'mysql://…', 'mariadb://…', 'sqlite:///abs/file.db', 'sqlite::memory:'],
  accepts: (dsn) => SQL_DSN.test(dsn),
  fromDsn: (dsn) => sqlStoreFromDsn(dsn),
  isClient: isSqlClient,
  fromClient: (client) => new SqlStore(client as SqlClient),
  clientForm: 'a pg, mysql2 or better-sqlite3 client',
};

/** A SqlStore over a pool (or an SQLite file) made for it; the store's close() ends it. */
export function sqlStoreFromDsn(dsn: string, options: SqlStoreOptions = {}): SqlStore {
  const parsed = parseSqlDsn(dsn);
  let client: SqlClient;
  if (parsed.dialect === 'postgres') {
    const pg = loadOptionalPeer<PgModule & { default?: PgModule }>('pg', 'A postgres:// store');
    const Pool = pg.Pool ?? pg.default?.Pool;
    const pool = new Pool!({ connectionString: parsed.connectionString });
    // An idle pooled connection that dies emits 'error' on the pool: the next statement
    // reports it; unheard, it would crash the process.
    pool.on('error', () => {});
    client = pool;
  } else if (parsed.dialect === 'mysql') {
    const mysql = loadOptionalPeer<MysqlModule & { default?: MysqlModule }>('mysql2', 'A mysql:// store');
    const createPool = mysql.createPool ?? mysql.default?.createPool;
    const pool = createPool!(parsed.uri);
    pool.on?.('error', () => {});
    client = pool;
  } else {
    const Database = loadOptionalPeer<SqliteModule>('better-sqlite3', 'A sqlite: store');
    // timeout 0: never let SQLite's busy handler sleep on the JS thread (the adapter
    // retries a busy database asynchronously).
    client = new Database(parsed.file, { timeout: 0 });
  }
  return ownedSqlStore(client, options, parsed.secrets);
}

interface PgModule {
  Pool?: new (config: { connectionString: string }) => PgClient & { on(event: 'error', listener: () => void): unknown };
}
interface MysqlModule {
  createPool?: (uri: string) => MysqlCallbackClient & { on?(event: 'error', listener: () => void): unknown };
}
type SqliteModule = new (file: string, options: { timeout: number }) => SqliteDatabase;
