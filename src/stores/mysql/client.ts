// What MysqlStore needs from a connection, typed structurally so that importing
// lockwright never needs `mysql2` (an optional peer dependency). The store speaks the
// *promise* API: a `mysql2/promise` connection fits as it is, and a callback-API
// connection is used through its own `.promise()` wrapper. A pool does not fit: each of
// its queries may run on another session, and GET_LOCK belongs to one session.
import { InvalidArgumentError, LockStorageError, describeValue } from '../../core/errors.js';

/** The methods of a `mysql2/promise` Connection that MysqlStore calls. */
export interface MysqlConnection {
  /** Resolves with [rows, fields]. */
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  /** The server's connection id (CONNECTION_ID()), for KILL QUERY. */
  readonly threadId: number | null;
  end?(): Promise<void>;
  destroy?(): void;
  /** A pool's connection: gives it back. */
  release?(): void;
}

/** A callback-API mysql2 connection: it has `.promise()`. */
interface CallbackConnection {
  promise(): MysqlConnection;
}

function isPool(value: object): boolean {
  return typeof (value as Record<string, unknown>).getConnection === 'function';
}

/** The promise-API view of a mysql2 connection (callback or promise API), or an InvalidArgumentError. */
export function checkConnection(value: unknown): MysqlConnection {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError(`MysqlStore needs a connected mysql2 connection; got ${describeValue(value)}.`);
  }
  if (isPool(value)) {
    throw new InvalidArgumentError(
      'MysqlStore needs one session, not a mysql2 pool (each pool query may run on another connection): pass `await pool.getConnection()`, or a mysql+advisory:// DSN.',
    );
  }
  const candidate = value as Record<string, unknown>;
  // The callback API's query() returns a Query object, not a promise: use its wrapper.
  if (typeof candidate.promise === 'function' && typeof candidate.execute === 'function' && !('connection' in candidate)) {
    return (value as CallbackConnection).promise();
  }
  if (typeof candidate.query === 'function' && typeof candidate.on === 'function' && 'threadId' in candidate) {
    return value as MysqlConnection;
  }
  throw new InvalidArgumentError(`MysqlStore needs a connected mysql2 connection; got ${describeValue(value)}.`);
}

/** The first row of a query result. */
export function firstRow(result: [unknown, unknown]): Record<string, unknown> | undefined {
  const rows = result[0];
  return Array.isArray(rows) ? (rows[0] as Record<string, unknown> | undefined) : undefined;
}

export function storageError(action: string, resource: string, cause: unknown): LockStorageError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new LockStorageError(`MySQL failed to ${action} the "${resource}" lock: ${detail}`, { cause });
}
