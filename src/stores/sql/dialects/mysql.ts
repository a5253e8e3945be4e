// MySQL and MariaDB: Symfony PdoStore's mysql table (utf8mb4_bin, InnoDB), and its
// save: INSERT; a duplicate key means held (by us, someone else, or expired), then an
// UPDATE takes our own or an expired row; no row matched means busy. A failed INSERT
// does not abort a MySQL transaction (only the statement is rolled back). "now" has
// microseconds (the expiry rounds up from the true time); the column keeps whole
// seconds, as Symfony's does. UNIX_TIMESTAMP(NOW(6)) is avoided: it converts through the
// session time zone and is ambiguous in the hour a DST change repeats.
import type { SqlConnection } from '../client.js';
import { msFromRow, type Dialect, type SaveOutcome, type TableNames } from '../dialect.js';
import { mysqlErrno } from '../adapters/mysql.js';

const NOW = '(UNIX_TIMESTAMP() + MICROSECOND(NOW(6)) / 1000000)';
const ER_DUP_ENTRY = 1062;
const ER_TABLE_EXISTS = 1050;
const ER_NO_SUCH_TABLE = 1146;

export function mysqlDialect(names: TableNames): Dialect {
  const { table, id, token, expiration: exp } = names;
  const createTable = `CREATE TABLE ${table} (${id} VARCHAR(64) NOT NULL PRIMARY KEY, ${token} VARCHAR(44) NOT NULL, ${exp} INTEGER UNSIGNED NOT NULL) COLLATE utf8mb4_bin, ENGINE = InnoDB`;
  const insert = `INSERT INTO ${table} (${id}, ${token}, ${exp}) VALUES (?, ?, CEIL(${NOW} + ?))`;
  const takeOver = `UPDATE ${table} SET ${exp} = CEIL(${NOW} + ?), ${token} = ? WHERE ${id} = ? AND (${token} = ? OR ${exp} <= ${NOW})`;
  const putOff = `UPDATE ${table} SET ${exp} = CEIL(${NOW} + ?) WHERE ${id} = ? AND ${token} = ?`;
  const del = `DELETE FROM ${table} WHERE ${id} = ? AND ${token} = ?`;
  const exists = `SELECT 1 AS held FROM ${table} WHERE ${id} = ? AND ${token} = ? AND ${exp} > ${NOW}`;
  const holder = `SELECT (${exp} - ${NOW}) * 1000 AS holder_ms FROM ${table} WHERE ${id} = ?`;
  const prune = `DELETE FROM ${table} WHERE ${exp} <= ${NOW}`;
  const [schema, bare] = table.includes('.') ? table.split('.') : [null, table];
  const present = 'SELECT 1 AS present FROM information_schema.tables WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?';

  const dialect: Dialect = {
    name: 'mysql',
    createTableStatements: [createTable],
    async ensureTable(connection: SqlConnection) {
      if ((await connection.query(present, [schema, bare])).rows.length > 0) return;
      try {
        await connection.query(createTable, []);
      } catch (error) {
        if (mysqlErrno(error) !== ER_TABLE_EXISTS) throw error;
      }
    },
    async save(connection, keyId, keyToken, ttl): Promise<SaveOutcome> {
      try {
        await connection.query(insert, [keyId, keyToken, ttl]);
        return { granted: true, fencingToken: null };
      } catch (error) {
        if (mysqlErrno(error) !== ER_DUP_ENTRY) throw error;
      }
      const { rowCount } = await connection.query(takeOver, [ttl, keyToken, keyId, keyToken]);
      // Symfony's fallback for drivers that count changed rather than matched rows.
      const granted = rowCount > 0 || (await dialect.exists(connection, keyId, keyToken));
      return { granted, fencingToken: null };
    },
    async putOff(connection, keyId, keyToken, ttl) {
      const { rowCount } = await connection.query(putOff, [ttl, keyId, keyToken]);
      return rowCount > 0 || (await dialect.exists(connection, keyId, keyToken)) ? 1 : 0;
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
    isMissingTable: (error) => mysqlErrno(error) === ER_NO_SUCH_TABLE,
  };
  return dialect;
}
