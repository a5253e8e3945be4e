// pg (node-postgres) as a SqlConnection. A Pool serves statements from any of its
// connections and lends one for LISTEN; a single Client (or PoolClient) runs every
// statement on itself, possibly inside the caller's transaction, and cannot spare a
// connection for LISTEN, so waits on it poll.
import type { PgClient, PgListenClient, SqlConnection, SqlResult } from '../client.js';

export interface PgConnection extends SqlConnection {
  readonly dialect: 'postgres';
  /** A connection of its own for LISTEN, when the client is a Pool; undefined otherwise. */
  readonly openListener: (() => Promise<PgListenClient>) | undefined;
}

export function pgConnection(client: PgClient, owned: boolean): PgConnection {
  const pool = typeof client.totalCount === 'number';
  return {
    dialect: 'postgres',
    async query(sql: string, params: unknown[]): Promise<SqlResult> {
      const result = await client.query(sql, params);
      return { rows: result.rows ?? [], rowCount: result.rowCount ?? 0 };
    },
    openListener: pool ? async () => (await client.connect()) as PgListenClient : undefined,
    async close() {
      if (owned) await client.end?.();
    },
  };
}

/** pg's errors carry the SQLSTATE in `code`. */
export function pgCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
