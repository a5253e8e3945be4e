// Scenario: databases. lockwright's advisory-lock stores (PostgreSqlStore, MysqlStore)
// and SqlStore on PostgreSQL, MariaDB and SQLite, beside what a Node user would
// otherwise pick: the advisory-lock package and a knex-style lock table on plain pg.
// Uncontended acquire+release (each pair timed, rounds interleaved) and cross-process
// hand-off, on the machine's shared PostgreSQL and MariaDB: a server that is not there
// leaves its rows out and is named in the notes.
import type { BenchContext } from '../harness/context.js';
import type { Section } from '../harness/report.js';
import { formatNumber } from '../harness/stats.js';
import { databaseLibraries, type Library } from '../libraries/index.js';
import { BENCH_SQL_TABLE, DATABASE_DSNS, sqliteFile } from '../libraries/lockwright-databases.js';
import { TABLE_LOCK_TABLE } from '../libraries/table-lock.js';
import { describeError, handoffsTable, measureHandoffsEach, measurePairs, pairsTable, probe, waitsTable, within } from './db-common.js';

async function onPostgres<T>(run: (client: import('pg').Client) => Promise<T>): Promise<T> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: DATABASE_DSNS.pg, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

async function onMysql<T>(run: (connection: import('mysql2/promise').Connection) => Promise<T>): Promise<T> {
  const mysql = await import('mysql2/promise');
  const connection = await mysql.createConnection({ uri: DATABASE_DSNS.mysql.replace(/^mariadb:/, 'mysql:'), connectTimeout: 5_000 });
  try {
    return await run(connection);
  } finally {
    await connection.end();
  }
}

/** The bench's own tables (a crashed run's held rows would stall the next run's hand-offs). */
async function dropBenchTables(): Promise<Array<{ server: 'PostgreSQL' | 'MariaDB'; message: string }>> {
  const failures: Array<{ server: 'PostgreSQL' | 'MariaDB'; message: string }> = [];
  await within(
    onPostgres(async (client) => {
      await client.query(`DROP TABLE IF EXISTS ${BENCH_SQL_TABLE}, ${TABLE_LOCK_TABLE}`);
      await client.query(`DROP SEQUENCE IF EXISTS ${BENCH_SQL_TABLE}_fence_seq`);
    }),
    15_000,
    'dropping the bench tables on PostgreSQL',
  ).catch((error) => failures.push({ server: 'PostgreSQL', message: describeError(error) }));
  await within(
    onMysql((connection) => connection.query(`DROP TABLE IF EXISTS ${BENCH_SQL_TABLE}`)),
    15_000,
    'dropping the bench table on MariaDB',
  ).catch((error) => failures.push({ server: 'MariaDB', message: describeError(error) }));
  return failures;
}

async function serverVersions(file: string): Promise<string> {
  const pg = await within(
    onPostgres(async (client) => `PostgreSQL ${(await client.query('SHOW server_version')).rows[0].server_version}`),
    10_000,
    'PostgreSQL',
  ).catch(() => 'PostgreSQL unreachable');
  const mysql = await within(
    onMysql(async (connection) => `MariaDB/MySQL ${((await connection.query('SELECT VERSION() AS v')) as unknown as Array<Array<{ v: string }>>)[0]![0]!.v}`),
    10_000,
    'MariaDB',
  ).catch(() => 'MariaDB unreachable');
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file);
  const sqlite = `SQLite ${(db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v} (better-sqlite3, rollback journal, a file in the run's directory)`;
  db.close();
  return `${pg}, ${mysql} (127.0.0.1, the machine's shared servers, default durability), ${sqlite}`;
}

export async function databases(context: BenchContext): Promise<Section> {
  const { quick, workspace } = context;
  const env = workspace.env;
  const label = workspace.namespace;
  const notes: string[] = [];
  const dropFailures = await dropBenchTables();
  const { available, missing } = await probe(databaseLibraries, env, label);
  if (available.length === 0) throw new Error(`no database reachable: ${missing.join('; ')}`);
  const versions = await serverVersions(sqliteFile(env));
  const byId = (id: string) => available.find((library) => library.id === id);

  const budget = { rounds: quick ? 3 : 7, roundMs: quick ? 100 : 400 };
  const pairs = await measurePairs(available, env, label, budget);

  const handoffBudget = (library: Library) =>
    library.pollMs ? { count: quick ? 40 : 400, seconds: quick ? 0.5 : 8 } : { count: quick ? 40 : 1_000, seconds: quick ? 1 : 12 };
  const handoffs = await measureHandoffsEach(context, available, handoffBudget);
  dropFailures.push(...(await dropBenchTables()));

  const reference = byId('lockwright-pg-advisory');
  if (missing.length > 0) notes.push(`**Not measured** (server or package missing): ${missing.join('; ')}.`);
  // A server that was not there at all is already in "Not measured".
  const reached = (server: string) => available.some((library) => (server === 'MariaDB' ? /mysql/ : /pg|advisory-lock|table-lock/).test(library.id));
  const dropNotes = [...new Set(dropFailures.filter((f) => reached(f.server)).map((f) => `${f.server}: ${f.message}`))];
  if (dropNotes.length > 0) notes.push(`Could not drop the bench tables: ${dropNotes.join('; ')}.`);
  notes.push(
    '**Reading the uncontended rows:** a pair is its round trips plus, for every store that writes a row, two committed writes (an fsync each at default durability): SqlStore saves a row and deletes it, the knex-style lock runs BEGIN, UPDATE, COMMIT and then an UPDATE. SqlStore on PostgreSQL also takes its fencing token from a sequence in the winning upsert and runs pg_notify in the releasing DELETE, which the knex-style UPDATE does not. Advisory locks write nothing: PostgreSqlStore and MysqlStore take and give back a lock on their pinned session, two round trips. advisory-lock opens a new connection for every `lock()` (and ends it at unlock), so its pair includes a PostgreSQL connection start-up, a backend process forked by the server.',
    `**Reading the hand-off rows:** advisory locks are woken by the server (a wait connection blocked in the lock function); SqlStore on PostgreSQL by NOTIFY; pollers (SqlStore on MariaDB and SQLite, the knex-style lock) resume at their next poll, so their p50 is about half their interval plus one try. advisory-lock's waiter opens its connection inside \`lock()\`, so its hand-off includes most of a connection start-up. The holder releases after a random part of the poll interval, as in the other hand-off tables.`,
    `SqlStore rows use a bench-only table \`${BENCH_SQL_TABLE}\` (dropped at the start and end of the scenario, as is the knex-style \`${TABLE_LOCK_TABLE}\`); lock TTL 30 s. The knex-style lock is knex's migration lock (\`knex_migrations_lock\`: \`UPDATE … SET is_locked = 1 WHERE is_locked = 0\` in a transaction, released by \`UPDATE … SET is_locked = 0\`) with one row per resource; knex itself does not wait, so the bench retries every 50 ms.`,
  );

  return {
    title: 'Databases',
    method:
      `${versions}; DSNs \`${DATABASE_DSNS.pgAdvisory}\`, \`${DATABASE_DSNS.mysqlAdvisory}\`, \`${DATABASE_DSNS.pg}\`, \`${DATABASE_DSNS.mysql}\` (overridable by BENCH_PG_ADVISORY_DSN, BENCH_MYSQL_ADVISORY_DSN, BENCH_PG_DSN, BENCH_MYSQL_DSN). Uncontended: median pairs/s of ${budget.rounds} rounds of ${budget.roundMs} ms per row in one process, the rows' rounds interleaved; percentiles over every pair of those rounds. ` +
      `Hand-off: as in the local table (this process holds and releases, a waiter blocked in another process resumes in JavaScript), up to ${formatNumber(handoffBudget(databaseLibraries[0]!).count)} hand-offs per row (pollers: as many as fit in ${handoffBudget({ pollMs: 1 } as Library).seconds} s).`,
    tables: [waitsTable(available), pairsTable(pairs, pairs.find((p) => p.library === reference)), handoffsTable(handoffs, handoffs.find((h) => h.library === reference))],
    notes,
  };
}
