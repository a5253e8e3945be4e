// What PostgreSqlStore needs from a connection, typed structurally so that importing
// lockwright never needs `pg` (an optional peer dependency). A connected `pg.Client`, or
// a `PoolClient` checked out with `await pool.connect()`, fits as it is. A `pg.Pool`
// does not: each of its queries may run on another session, and a session lock lives
// on one session.
import { InvalidArgumentError, LockStorageError, describeValue } from '../../core/errors.js';

export interface PgQueryResult {
  rows: Array<Record<string, unknown>>;
}

/** The methods of a connected `pg.Client` (or PoolClient) that PostgreSqlStore calls. */
export interface PostgresClient {
  /** With `values`: one statement, `$1`… placeholders. Without: may hold several statements. */
  query(text: string, values?: unknown[]): Promise<PgQueryResult | PgQueryResult[]>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  /** Closes the connection (a connection the store opened itself). */
  end?(): Promise<void>;
  /** PoolClient: gives the connection back to its pool; `true` destroys it instead. */
  release?(destroy?: boolean): void;
}

/** Does `value` look like a pinned pg connection (a Client, or a PoolClient)? */
export function isPostgresClient(value: unknown): value is PostgresClient {
  if (typeof value !== 'object' || value === null) return false;
  const client = value as Record<string, unknown>;
  return typeof client.query === 'function' && typeof client.on === 'function' && !isPool(value);
}

/** A `pg.Pool` has these counters; a Client has none of them. */
export function isPool(value: object): boolean {
  const pool = value as Record<string, unknown>;
  return typeof pool.totalCount === 'number' && typeof pool.waitingCount === 'number';
}

export function checkClient(client: unknown): PostgresClient {
  if (typeof client === 'object' && client !== null && isPool(client)) {
    throw new InvalidArgumentError(
      'PostgreSqlStore needs one pinned session, not a pg.Pool (each pool query may run on another session): pass `await pool.connect()`, or a postgresql+advisory:// DSN.',
    );
  }
  if (!isPostgresClient(client)) {
    throw new InvalidArgumentError(`PostgreSqlStore needs a connected pg.Client or PoolClient; got ${describeValue(client)}.`);
  }
  return client;
}

/** The first result of a query (a multi-statement query gives one per statement). */
export function firstRow(result: PgQueryResult | PgQueryResult[]): Record<string, unknown> | undefined {
  return (Array.isArray(result) ? result[0] : result)?.rows[0];
}

/** A PostgreSQL failure as the store reports it; `cause` keeps the driver's error. */
export function storageError(action: string, resource: string, cause: unknown): LockStorageError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new LockStorageError(`PostgreSQL failed to ${action} the "${resource}" lock: ${detail}`, { cause });
}

/** The SQLSTATE of a driver error, if it has one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
