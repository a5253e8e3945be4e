// What a dialect is: Symfony's table, DDL and statements for one database, run on a
// SqlConnection. The store (sql-store.ts) holds the policy (tokens, TTLs, expiry checks,
// waits); a dialect only knows how its database says "insert unless held", "extend if
// mine", "delete if mine", "held by me?" and "how long does the holder have left?".
import type { DialectName, SqlConnection } from './client.js';

/** The table and its columns, as validated identifiers (options.ts). */
export interface TableNames {
  table: string;
  id: string;
  token: string;
  expiration: string;
}

export interface SaveOutcome {
  granted: boolean;
  /** The fencing token issued with the grant (PostgreSQL), null when the dialect has none. */
  fencingToken: bigint | null;
  /** When refused: how long the holder's row still lives, in ms; undefined when not asked. */
  holderTtl?: number;
}

export interface Dialect {
  readonly name: DialectName;
  /** Symfony's CREATE TABLE for this database (and what else the dialect needs). */
  readonly createTableStatements: readonly string[];
  /** Creates what is missing (first use); a concurrent creator is not an error. */
  ensureTable(connection: SqlConnection): Promise<void>;
  /**
   * Takes the row unless another token holds it unexpired; a row of ours or an expired
   * one is taken over. `ttl` in seconds (fractional: the database rounds the expiry up).
   */
  save(connection: SqlConnection, id: string, token: string, ttl: number): Promise<SaveOutcome>;
  /** Extends our row (token match only; see sql-store.ts); the number of rows it matched. */
  putOff(connection: SqlConnection, id: string, token: string, ttl: number): Promise<number>;
  /** Deletes our row (and tells LISTENers, on PostgreSQL); rows deleted. */
  delete(connection: SqlConnection, id: string, token: string): Promise<number>;
  exists(connection: SqlConnection, id: string, token: string): Promise<boolean>;
  /** ms the row of `id` still lives by the database clock; -1 when there is none. */
  holderTtl(connection: SqlConnection, id: string): Promise<number>;
  /** Deletes every expired row. */
  prune(connection: SqlConnection): Promise<void>;
  isMissingTable(error: unknown): boolean;
}

/** The database's idea of "now" and of the row's remaining life, as numbers. */
export function msFromRow(row: Record<string, unknown> | undefined, column: string): number {
  if (!row) return -1;
  const value = Number(row[column]);
  return Number.isFinite(value) ? Math.max(0, value) : -1;
}
