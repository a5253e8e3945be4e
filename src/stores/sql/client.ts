// What SqlStore needs from a database client, typed structurally so that importing
// lockwright never needs pg, mysql2 or better-sqlite3 (optional peer dependencies).
// A pg `Pool`/`Client`, a mysql2 pool or connection (callback or promise flavour) and a
// better-sqlite3 `Database` fit these interfaces as they are; adapters/ turns each into
// the one small `SqlConnection` the dialects talk to.
import { LockStorageError } from '../../core/errors.js';

/** A pg notification (LISTEN/NOTIFY). */
export interface PgNotification {
  channel: string;
  payload?: string | undefined;
}

/** A pg `Client` or a `PoolClient`: what the LISTEN connection uses. */
export interface PgListenClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>>; rowCount: number | null }>;
  on(event: 'notification', listener: (message: PgNotification) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeAllListeners?(event?: string): unknown;
  /** A PoolClient gives itself back (true: destroy it). */
  release?(destroy?: boolean | Error): void;
}

/** A pg `Pool` or `Client` (or a `PoolClient`). */
export interface PgClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>>; rowCount: number | null }>;
  /** A Pool hands out a connection (the store keeps one for LISTEN); a Client connects. */
  connect(): Promise<unknown>;
  end?(): Promise<void>;
  /** Only a Pool has it: the sign that the store may take a connection for LISTEN. */
  readonly totalCount?: number;
}

/** A mysql2 promise pool or connection (`mysql2/promise`, or `.promise()` of a callback one). */
export interface MysqlPromiseClient {
  // `any`: mysql2 types its values as a union an unknown[] does not fit either way.
  execute(sql: string, values?: any): Promise<[unknown, unknown]>;
  query(sql: string, values?: any): Promise<[unknown, unknown]>;
  end?(): Promise<void>;
}

/** A mysql2 callback-style pool or connection: its `promise()` is what the store uses. */
export interface MysqlCallbackClient {
  execute(...args: never[]): unknown;
  query(...args: never[]): unknown;
  promise(): MysqlPromiseClient;
}

export type MysqlClient = MysqlPromiseClient | MysqlCallbackClient;

/** A better-sqlite3 `Database` (synchronous). */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close?(): unknown;
  readonly open?: boolean;
  readonly name?: string;
}

export interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  all(...params: unknown[]): unknown[];
  readonly reader: boolean;
}

export type SqlClient = PgClient | MysqlClient | SqliteDatabase;

export type DialectName = 'postgres' | 'mysql' | 'sqlite';

/** One result: rows (for statements that return some) and the number of rows written. */
export interface SqlResult {
  rows: Array<Record<string, unknown>>;
  rowCount: number;
}

/** The one shape the dialects use, whatever the driver. */
export interface SqlConnection {
  readonly dialect: DialectName;
  query(sql: string, params: unknown[]): Promise<SqlResult>;
  /** Closes what the store opened itself (a DSN's pool); never a client passed in. */
  close(): Promise<void>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

/** A better-sqlite3 Database? (`prepare`, `exec` and `pragma`.) */
export function isSqliteDatabase(value: unknown): value is SqliteDatabase {
  return isObject(value) && typeof value.prepare === 'function' && typeof value.exec === 'function' && typeof value.pragma === 'function';
}

/** A mysql2 pool or connection? (`execute` and `query`, which pg lacks.) */
export function isMysqlClient(value: unknown): value is MysqlClient {
  return isObject(value) && typeof value.execute === 'function' && typeof value.query === 'function' && !isSqliteDatabase(value);
}

/** A pg Pool, Client or PoolClient? (`query` and `connect`, no `execute`.) */
export function isPgClient(value: unknown): value is PgClient {
  return (
    isObject(value) &&
    typeof value.query === 'function' &&
    typeof value.connect === 'function' &&
    typeof value.execute !== 'function' &&
    typeof value.prepare !== 'function'
  );
}

export function isSqlClient(value: unknown): value is SqlClient {
  return isPgClient(value) || isMysqlClient(value) || isSqliteDatabase(value);
}

/**
 * A database failure as the store reports it; `cause` keeps the driver's error. Any
 * `secrets` (the DSN's password) are blotted out of the message, whatever the driver said.
 */
export function storageError(action: string, resource: string, cause: unknown, secrets: readonly string[] = []): LockStorageError {
  let detail = cause instanceof Error ? cause.message : String(cause);
  for (const secret of secrets) if (secret.length > 0) detail = detail.split(secret).join('***');
  return new LockStorageError(`The database failed to ${action} the "${resource}" lock: ${detail}`, { cause });
}
