// better-sqlite3 as a SqlConnection. The driver is synchronous: each statement runs on
// the JS thread, so the store keeps every statement tiny (one indexed row; microseconds)
// and never lets SQLite sleep on a busy database (its busy handler would block the
// event loop): a SQLITE_BUSY is retried here, after an asynchronous pause.
import { setTimeout as pause } from 'node:timers/promises';
import type { SqlConnection, SqlResult, SqliteDatabase, SqliteStatement } from '../client.js';

/** How long a statement keeps retrying a database another process is writing. */
const BUSY_BUDGET_MS = 5_000;

export function sqliteConnection(db: SqliteDatabase, owned: boolean): SqlConnection {
  const statements = new Map<string, SqliteStatement>();
  const run = (sql: string, params: unknown[]): SqlResult => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    if (statement.reader) {
      const rows = statement.all(...params) as Array<Record<string, unknown>>;
      return { rows, rowCount: rows.length };
    }
    return { rows: [], rowCount: statement.run(...params).changes };
  };
  return {
    dialect: 'sqlite',
    async query(sql: string, params: unknown[]): Promise<SqlResult> {
      const started = performance.now();
      for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
        try {
          return run(sql, params);
        } catch (error) {
          const code = (error as { code?: unknown } | null)?.code;
          if (code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') throw error;
          // A prepared statement is invalid after a schema change it raced with.
          statements.delete(sql);
          if (performance.now() - started > BUSY_BUDGET_MS) throw error;
          await pause(delay + Math.random() * delay);
        }
      }
    },
    async close() {
      statements.clear();
      if (owned) db.close?.();
    },
  };
}
