// PostgreSQL: Symfony PdoStore's pgsql table, plus what Symfony lacks.
// - "now" is clock_timestamp(), not NOW(): NOW() is frozen at the start of the
//   transaction, and the store may run inside a caller's long transaction.
// - save is one conflict-safe upsert (INSERT … ON CONFLICT DO UPDATE … WHERE, as Symfony
//   6.4+ after #63975): a busy lock is "0 rows", never a duplicate-key error, so the
//   caller's open transaction is not aborted (25P02). The same statement returns the
//   holder's remaining life (the CTE reads the row as it was before the statement) and a
//   fencing token from a sequence beside the table (Symfony's table is left as it is).
// - delete NOTIFYs the key id on the table's channel, for waiters (notifier.ts).
import { createHash } from 'node:crypto';
import type { SqlConnection } from '../client.js';
import { msFromRow, type Dialect, type SaveOutcome, type TableNames } from '../dialect.js';
import { pgCode } from '../adapters/postgres.js';

const NOW = 'EXTRACT(epoch FROM clock_timestamp())';

export interface PostgresDialect extends Dialect {
  readonly name: 'postgres';
  /** The LISTEN/NOTIFY channel of this table's releases. */
  readonly channel: string;
  /** The fencing sequence, or null with `fencing: false`. */
  readonly sequence: string | null;
}

export function postgresDialect(names: TableNames, fencing: boolean): PostgresDialect {
  const { table, id, token, expiration: exp } = names;
  const sequence = fencing ? `${table}_fence_seq` : null;
  const channel = channelFor(table);
  const expiry = `CEIL(${NOW} + $3::float8)`;
  const createTable = `CREATE TABLE ${table} (${id} VARCHAR(64) NOT NULL PRIMARY KEY, ${token} VARCHAR(64) NOT NULL, ${exp} INTEGER)`;
  const save = `WITH won AS (
  INSERT INTO ${table} AS l (${id}, ${token}, ${exp}) VALUES ($1, $2, ${expiry})
  ON CONFLICT (${id}) DO UPDATE SET ${token} = EXCLUDED.${token}, ${exp} = EXCLUDED.${exp}
  WHERE l.${token} = EXCLUDED.${token} OR l.${exp} <= ${NOW}
  RETURNING ${sequence ? `nextval('${sequence}')::text` : 'NULL::text'} AS fence
)
SELECT (SELECT count(*) FROM won)::int AS granted, (SELECT fence FROM won) AS fence,
  (SELECT ((${exp} - ${NOW}) * 1000)::float8 FROM ${table} WHERE ${id} = $1) AS holder_ms`;
  const putOff = `UPDATE ${table} SET ${exp} = ${expiry} WHERE ${id} = $1 AND ${token} = $2`;
  const del = `WITH gone AS (DELETE FROM ${table} WHERE ${id} = $1 AND ${token} = $2 RETURNING ${id})
SELECT pg_notify($3, ${id}) FROM gone`;
  const exists = `SELECT 1 AS held FROM ${table} WHERE ${id} = $1 AND ${token} = $2 AND ${exp} > ${NOW}`;
  const holder = `SELECT ((${exp} - ${NOW}) * 1000)::float8 AS holder_ms FROM ${table} WHERE ${id} = $1`;
  const prune = `DELETE FROM ${table} WHERE ${exp} <= ${NOW}`;
  const createSequence = sequence ? [`CREATE SEQUENCE IF NOT EXISTS ${sequence}`] : [];

  return {
    name: 'postgres',
    channel,
    sequence,
    createTableStatements: [createTable, ...createSequence],
    async ensureTable(connection: SqlConnection) {
      const { rows } = await connection.query(
        'SELECT to_regclass($1) IS NOT NULL AS has_table, ($2::text IS NULL OR to_regclass($2) IS NOT NULL) AS has_sequence',
        [table, sequence],
      );
      const present = rows[0] ?? {};
      if (!present.has_table) {
        try {
          await connection.query(createTable, []);
        } catch (error) {
          // Another process created it between our check and our CREATE.
          if (pgCode(error) !== '42P07' && pgCode(error) !== '23505') throw error;
        }
      }
      if (!present.has_sequence) {
        for (const statement of createSequence) {
          try {
            await connection.query(statement, []);
          } catch (error) {
            if (pgCode(error) !== '42P07' && pgCode(error) !== '23505') throw error;
          }
        }
      }
    },
    async save(connection, keyId, keyToken, ttl): Promise<SaveOutcome> {
      const { rows } = await connection.query(save, [keyId, keyToken, ttl]);
      const row = rows[0];
      const granted = Number(row?.granted) === 1;
      if (granted) return { granted, fencingToken: row?.fence == null ? null : BigInt(String(row.fence)) };
      return { granted, fencingToken: null, holderTtl: msFromRow(row, 'holder_ms') };
    },
    async putOff(connection, keyId, keyToken, ttl) {
      return (await connection.query(putOff, [keyId, keyToken, ttl])).rowCount;
    },
    async delete(connection, keyId, keyToken) {
      return (await connection.query(del, [keyId, keyToken, channel])).rowCount;
    },
    async exists(connection, keyId, keyToken) {
      return (await connection.query(exists, [keyId, keyToken])).rows.length > 0;
    },
    async holderTtl(connection, keyId) {
      return msFromRow((await connection.query(holder, [keyId])).rows[0], 'holder_ms');
    },
    async prune(connection) {
      await connection.query(prune, []);
    },
    isMissingTable: (error) => pgCode(error) === '42P01',
  };
}

/** A channel name (an identifier: at most 63 bytes) per table. */
function channelFor(table: string): string {
  const name = `lockwright:${table}`;
  return Buffer.byteLength(name) <= 63 ? name : `lockwright:${createHash('sha256').update(table).digest('hex').slice(0, 40)}`;
}
