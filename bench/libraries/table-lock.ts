// The lock a knex user already has: knex's migration lock, a one-row table
// (knex_migrations_lock: index, is_locked), taken by
//   BEGIN; UPDATE <lock table> SET is_locked = 1 WHERE is_locked = 0; COMMIT
// (one row updated = held) and released by UPDATE … SET is_locked = 0. knex itself fails
// at once when the row is taken ("Migration table is already locked"); a caller who wants
// to wait retries, here every POLL_MS. Written with plain `pg` (knex is not installed),
// statement for statement what knex sends, with one row per resource instead of knex's
// single row so that resources are distinct locks. No expiry: a crashed holder's row
// stays locked until someone resets it (`knex migrate:unlock`).
import type { Pool } from 'pg';
import { sleep } from '../harness/stats.js';
import { DATABASE_DSNS } from './lockwright-databases.js';
import type { Library } from './types.js';

export const TABLE_LOCK_TABLE = 'lockwright_bench_table_lock';
const POLL_MS = 50;

async function ensureRow(pool: Pool, resource: string): Promise<void> {
  await pool.query(`CREATE TABLE IF NOT EXISTS ${TABLE_LOCK_TABLE} (name VARCHAR(255) PRIMARY KEY, is_locked INTEGER NOT NULL DEFAULT 0)`).catch((error) => {
    // Two processes creating it at once: one loses the race on the catalog, which is fine.
    if (!/already exists|duplicate key/.test((error as Error).message)) throw error;
  });
  await pool.query(`INSERT INTO ${TABLE_LOCK_TABLE} (name, is_locked) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING`, [resource]);
}

export const tableLock: Library = {
  id: 'knex-style-table-lock',
  name: `knex-style table lock (pg, poll ${POLL_MS} ms)`,
  package: 'pg',
  backend: 'database',
  pollMs: POLL_MS,
  waits: `polls knex's migration-lock transaction (BEGIN; UPDATE … SET is_locked = 1 WHERE is_locked = 0; COMMIT) every ${POLL_MS} ms until one row is updated`,
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls: {
    acquire: `until (await tryLock()) await sleep(${POLL_MS})`,
    tryAcquire: 'BEGIN; UPDATE … WHERE is_locked = 0; COMMIT',
    release: 'UPDATE … SET is_locked = 0',
  },
  async connect() {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: DATABASE_DSNS.pg, max: 2 });
    pool.on('error', () => {});
    return {
      async lock(resource) {
        await ensureRow(pool, resource);
        const tryLock = async (): Promise<boolean> => {
          // knex.transaction(trx => trx(table).where('is_locked', 0).update({ is_locked: 1 }))
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            const { rowCount } = await client.query(`UPDATE ${TABLE_LOCK_TABLE} SET is_locked = 1 WHERE name = $1 AND is_locked = 0`, [resource]);
            await client.query('COMMIT');
            return rowCount === 1;
          } catch (error) {
            await client.query('ROLLBACK').catch(() => {});
            throw error;
          } finally {
            client.release();
          }
        };
        return {
          acquire: async () => {
            while (!(await tryLock())) await sleep(POLL_MS);
          },
          tryAcquire: tryLock,
          release: async () => {
            await pool.query(`UPDATE ${TABLE_LOCK_TABLE} SET is_locked = 0 WHERE name = $1`, [resource]);
          },
          close: () => {},
        };
      },
      close: async () => {
        await pool.end();
      },
    };
  },
};
