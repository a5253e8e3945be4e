// SQLite: Symfony PdoStore's sqlite table. "now" is the database's clock with
// sub-second precision (julianday), so that an expiry rounds up from the true time;
// the column keeps whole seconds as Symfony's does. save is the conflict-safe upsert
// (SQLite ≥ 3.24, `excluded.`), so a busy lock never raises inside a transaction.
// Every statement touches one row by its primary key: better-sqlite3 runs it on the JS
// thread, for microseconds.
import type { SqlConnection } from '../client.js';
import { msFromRow, type Dialect, type SaveOutcome, type TableNames } from '../dialect.js';

const NOW = "((julianday('now') - 2440587.5) * 86400.0)";
/** CEIL without the optional math functions: whole part, plus one if anything is left. */
const EXPIRY = `(CAST((${NOW} + ?) AS INTEGER) + ((${NOW} + ?) > CAST((${NOW} + ?) AS INTEGER)))`;

export function sqliteDialect(names: TableNames): Dialect {
  const { table, id, token, expiration: exp } = names;
  const createTable = `CREATE TABLE ${table} (${id} TEXT NOT NULL PRIMARY KEY, ${token} TEXT NOT NULL, ${exp} INTEGER)`;
  const save = `INSERT INTO ${table} (${id}, ${token}, ${exp}) VALUES (?, ?, ${EXPIRY})
ON CONFLICT (${id}) DO UPDATE SET ${token} = excluded.${token}, ${exp} = excluded.${exp}
WHERE ${token} = excluded.${token} OR ${exp} <= ${NOW}`;
  const putOff = `UPDATE ${table} SET ${exp} = ${EXPIRY} WHERE ${id} = ? AND ${token} = ?`;
  const del = `DELETE FROM ${table} WHERE ${id} = ? AND ${token} = ?`;
  const exists = `SELECT 1 AS held FROM ${table} WHERE ${id} = ? AND ${token} = ? AND ${exp} > ${NOW}`;
  const holder = `SELECT (${exp} - ${NOW}) * 1000.0 AS holder_ms FROM ${table} WHERE ${id} = ?`;
  const prune = `DELETE FROM ${table} WHERE ${exp} <= ${NOW}`;
  const [schema, bare] = table.includes('.') ? table.split('.') : ['main', table];
  const present = `SELECT 1 AS present FROM ${schema}.sqlite_master WHERE type = 'table' AND name = ?`;

  return {
    name: 'sqlite',
    createTableStatements: [createTable],
    async ensureTable(connection: SqlConnection) {
      if ((await connection.query(present, [bare])).rows.length > 0) return;
      try {
        await connection.query(createTable, []);
      } catch (error) {
        if (!/already exists/.test(String((error as Error | null)?.message))) throw error;
      }
    },
    async save(connection, keyId, keyToken, ttl): Promise<SaveOutcome> {
      const { rowCount } = await connection.query(save, [keyId, keyToken, ttl, ttl, ttl]);
      return { granted: rowCount > 0, fencingToken: null };
    },
    async putOff(connection, keyId, keyToken, ttl) {
      return (await connection.query(putOff, [ttl, ttl, ttl, keyId, keyToken])).rowCount;
    },
    async delete(connection, keyId, keyToken) {
      return (await connection.query(del, [keyId, keyToken])).rowCount;
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
    isMissingTable: (error) => /no such table/.test(String((error as Error | null)?.message)),
  };
}
