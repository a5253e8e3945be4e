// The PostgreSQL server the tests use: the one already running on 127.0.0.1:5432 (user
// postgres, trust), database `test` (created if missing). Clients made here are closed
// after the test file. Nothing reachable is a failure naming what to install or start,
// never a skip.
import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll } from 'vitest';

export const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
export const PG_DSN = `postgresql+advisory://${PG.user}@${PG.host}:${PG.port}/${PG.database}`;

const clients = new Set<pg.Client>();
afterAll(async () => {
  await Promise.all([...clients].map((c) => c.end().catch(() => {})));
  clients.clear();
});

let ready: Promise<void> | null = null;

/** Resolves once the server answers and the `test` database exists. */
export function postgresReady(): Promise<void> {
  ready ??= (async () => {
    const admin = new pg.Client({ ...PG, database: 'postgres' });
    admin.on('error', () => {});
    try {
      await admin.connect();
    } catch (cause) {
      const installed = ['/usr/lib/postgresql', '/usr/bin/pg_ctlcluster'].some((p) => existsSync(p));
      throw new Error(
        installed
          ? `PostgreSQL is installed but not reachable on ${PG.host}:${PG.port}: start it (pg_ctlcluster <version> main start).`
          : `No PostgreSQL server on ${PG.host}:${PG.port} and none installed: apt-get install postgresql.`,
        { cause },
      );
    }
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [PG.database]);
      if (!rowCount) await admin.query(`CREATE DATABASE ${PG.database}`).catch(() => {}); // a parallel file may win
    } finally {
      await admin.end();
    }
  })();
  return ready;
}

/** A connected client on the test database, closed after the test file. */
export async function pgClient(options: Partial<pg.ClientConfig> = {}): Promise<pg.Client> {
  await postgresReady();
  const client = new pg.Client({ ...PG, application_name: 'lockwright-test', ...options });
  client.on('error', () => {});
  await client.connect();
  clients.add(client);
  return client;
}

/** Granted advisory locks on a crc32 id, per mode, across all sessions. */
export async function advisoryHolders(admin: pg.Client, id: number): Promise<Array<{ pid: number; mode: string }>> {
  const { rows } = await admin.query(
    `SELECT pid, mode FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = $1::oid AND objsubid = 1 AND granted`,
    [String(id)],
  );
  return rows as Array<{ pid: number; mode: string }>;
}

/** Polls `check` (test-side only) until true or `ms` ran out. */
export async function until(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}
