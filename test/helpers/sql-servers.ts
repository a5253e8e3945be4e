// The database servers SqlStore's tests use: PostgreSQL (127.0.0.1:5432, user postgres,
// trust) and MariaDB/MySQL (127.0.0.1:3306, root, no password), each with a database
// `test` (created here when missing), and SQLite files in a temporary directory. A server
// that is not running fails the test file with the Debian package to install; .ci/run
// starts them. Each test file names its own tables (tableName()), dropped afterwards.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2';
import pg from 'pg';
import { afterAll } from 'vitest';
import { tempDir } from './tmp.js';

export const PG_URL = process.env.LOCKWRIGHT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.LOCKWRIGHT_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** A table name of its own for one test file (letters, digits, _). */
export function tableName(label: string): string {
  return `lw_${label}_${randomBytes(4).toString('hex')}`;
}

/** A pg Pool on the `test` database, ended after the file; `tables` are dropped first. */
export async function postgresPool(tables: string[] = []): Promise<pg.Pool> {
  const url = new URL(PG_URL);
  const admin = new pg.Client({ connectionString: `${url.protocol}//${url.username}@${url.host}/postgres` });
  try {
    await admin.connect();
  } catch (cause) {
    throw new Error(`PostgreSQL is not reachable at ${url.host}: install and start it (Debian package postgresql; .ci/run does).`, { cause });
  }
  const database = url.pathname.slice(1);
  const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (found.rowCount === 0) {
    await admin.query(`CREATE DATABASE ${database}`).catch(() => {}); // another file raced us
  }
  await admin.end();
  const pool = new pg.Pool({ connectionString: PG_URL, max: 8 });
  pool.on('error', () => {});
  afterAll(async () => {
    for (const table of tables) {
      await pool.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
      await pool.query(`DROP SEQUENCE IF EXISTS ${table}_fence_seq`).catch(() => {});
    }
    await pool.end();
  });
  return pool;
}

/** A mysql2 pool on the `test` database, ended after the file; `tables` are dropped first. */
export async function mysqlPool(tables: string[] = []): Promise<mysql.Pool> {
  const url = new URL(MYSQL_URL);
  const database = url.pathname.slice(1);
  const admin = mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: url.username }).promise();
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
  } catch (cause) {
    throw new Error(`MariaDB/MySQL is not reachable at ${url.host}: install and start it (Debian package mariadb-server; .ci/run does).`, { cause });
  } finally {
    await admin.end().catch(() => {});
  }
  const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 8 });
  afterAll(async () => {
    for (const table of tables) await pool.promise().query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await pool.promise().end();
  });
  return pool;
}

/** The path of a new SQLite file in a temporary directory removed after the file. */
export function sqliteFile(): string {
  return join(tempDir('lockwright-sqlite-'), 'locks.db');
}

/** A better-sqlite3 Database on `file`, closed after the test file. */
export function sqliteDatabase(file: string): Database.Database {
  const db = new Database(file, { timeout: 0 });
  afterAll(() => db.close());
  return db;
}
