// The MySQL-protocol server the tests use: the MariaDB already running on
// 127.0.0.1:3306 (root, no password), database `test` (created if missing). MySQL
// proper is not installed on these machines: the same tests run against it unchanged
// when it answers on that port. Nothing reachable is a failure naming what to install
// or start, never a skip.
import { existsSync } from 'node:fs';
import mysql, { type Connection } from 'mysql2/promise';
import { afterAll } from 'vitest';

export const MY = { host: '127.0.0.1', port: 3306, user: 'root', database: 'test' };
export const MY_DSN = `mysql+advisory://${MY.user}@${MY.host}:${MY.port}/${MY.database}`;

const connections = new Set<Connection>();
afterAll(async () => {
  await Promise.all([...connections].map((c) => c.end().catch(() => {})));
  connections.clear();
});

let ready: Promise<string> | null = null;

/** Resolves with `SELECT VERSION()` once the server answers and `test` exists. */
export function mysqlReady(): Promise<string> {
  ready ??= (async () => {
    let admin: Connection;
    try {
      admin = await mysql.createConnection({ host: MY.host, port: MY.port, user: MY.user });
    } catch (cause) {
      const installed = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'].some((p) => existsSync(p));
      throw new Error(
        installed
          ? `MariaDB/MySQL is installed but not reachable on ${MY.host}:${MY.port}: start it (service mariadb start).`
          : `No MariaDB/MySQL server on ${MY.host}:${MY.port} and none installed: apt-get install mariadb-server.`,
        { cause },
      );
    }
    try {
      await admin.query(`CREATE DATABASE IF NOT EXISTS ${MY.database}`);
      const [rows] = await admin.query('SELECT VERSION() AS v');
      return String((rows as Array<{ v: string }>)[0]!.v);
    } finally {
      await admin.end();
    }
  })();
  return ready;
}

/** A connected promise-API connection on the test database, closed after the test file. */
export async function myConnection(): Promise<Connection> {
  await mysqlReady();
  const connection = await mysql.createConnection(MY);
  connection.on('error', () => {});
  connections.add(connection);
  return connection;
}

/** The connection id holding the named lock, or null (IS_USED_LOCK). */
export async function usedBy(admin: Connection, name: string): Promise<number | null> {
  const [rows] = await admin.query('SELECT IS_USED_LOCK(?) AS id', [name]);
  const id = (rows as Array<{ id: number | null }>)[0]!.id;
  return id === null ? null : Number(id);
}

/** Threads of the server busy in a GET_LOCK wait on `name`. */
export async function waitingFor(admin: Connection, name: string): Promise<Array<{ id: number; time: number }>> {
  const [rows] = await admin.query(
    "SELECT ID AS id, TIME_MS AS time FROM information_schema.PROCESSLIST WHERE COMMAND = 'Query' AND INFO LIKE 'SELECT GET_LOCK(%' AND STATE = 'User lock' AND INFO LIKE ?",
    [`%${name}%`],
  );
  return rows as Array<{ id: number; time: number }>;
}
