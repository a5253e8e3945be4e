// mysql2 as a SqlConnection: a pool or a connection, promise or callback flavour (a
// callback one is used through its promise() wrapper). Statements go through query()
// (text protocol, one round trip; nothing to prepare per connection).
import type { MysqlClient, MysqlPromiseClient, SqlConnection, SqlResult } from '../client.js';

export function mysqlConnection(client: MysqlClient, owned: boolean): SqlConnection {
  const promised: MysqlPromiseClient =
    'promise' in client && typeof client.promise === 'function' ? client.promise() : (client as MysqlPromiseClient);
  return {
    dialect: 'mysql',
    async query(sql: string, params: unknown[]): Promise<SqlResult> {
      const [result] = await promised.query(sql, params);
      if (Array.isArray(result)) return { rows: result as Array<Record<string, unknown>>, rowCount: result.length };
      // A ResultSetHeader. mysql2 sets CLIENT_FOUND_ROWS: affectedRows counts matched rows.
      return { rows: [], rowCount: Number((result as { affectedRows?: number }).affectedRows ?? 0) };
    },
    async close() {
      if (owned) await promised.end?.();
    },
  };
}

/** mysql2's errors carry the server's error number in `errno`. */
export function mysqlErrno(error: unknown): number | undefined {
  const errno = (error as { errno?: unknown } | null)?.errno;
  return typeof errno === 'number' ? errno : undefined;
}
