// The LockManager's `database` driver: LOCK_DRIVER=database with LOCK_DB_URL and
// LOCK_DB_TABLE, Glueful's config keys (table, id_col, token_col, expiration_col), on a
// real PostgreSQL and a SQLite file; every wrong key or value refused by name.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, LockManager } from '../../src/index.js';
import { PG_URL, postgresPool, sqliteFile, tableName } from '../helpers/sql-servers.js';

const table = tableName('mgr');
const glueful = tableName('mgr_glueful');
const pool = await postgresPool([table, glueful]);

describe('LockManager database driver', () => {
  it('LOCK_DRIVER=database with LOCK_DB_URL and LOCK_DB_TABLE locks rows in that table', async () => {
    const manager = LockManager.fromEnv({ LOCK_DRIVER: 'database', LOCK_DB_URL: PG_URL, LOCK_DB_TABLE: table, LOCK_PREFIX: 'app:' });
    const other = LockManager.fromEnv({ LOCK_DRIVER: 'database', LOCK_DB_URL: PG_URL, LOCK_DB_TABLE: table, LOCK_PREFIX: 'app:' });
    try {
      const result = await manager.executeWithLock('job', async () => {
        expect(await other.isLocked('job')).toBe(true);
        const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table}`);
        expect(rows[0].n).toBe(1);
        return 'done';
      });
      expect(result).toBe('done');
      expect(await other.isLocked('job')).toBe(false);
    } finally {
      await manager.close();
      await other.close();
    }
  });

  it("honours Glueful's id_col, token_col and expiration_col keys", async () => {
    const manager = new LockManager({
      default: 'database',
      stores: { database: { driver: 'database', url: PG_URL, table: glueful, id_col: 'key_id', token_col: 'token', expiration_col: 'expiration' } },
    });
    try {
      await manager.executeWithLock('glueful', async () => {
        const { rows } = await pool.query(`SELECT key_id, token, expiration FROM ${glueful}`);
        expect(rows).toHaveLength(1);
      });
    } finally {
      await manager.close();
    }
  });

  it('works on a SQLite file', async () => {
    const manager = LockManager.fromEnv({ LOCK_DRIVER: 'database', LOCK_DB_URL: `sqlite://${sqliteFile()}` });
    try {
      expect(await manager.executeWithLock('sqlite-job', async () => 42)).toBe(42);
    } finally {
      await manager.close();
    }
  });

  it.each([
    [{ LOCK_DRIVER: 'database' }, /LOCK_DRIVER=database needs LOCK_DB_URL/],
    [{ LOCK_DRIVER: 'database', LOCK_DB_URL: 'postgres://u:s3cret@/x' }, /Invalid store DSN/],
    [{ LOCK_DRIVER: 'database', LOCK_DB_URL: PG_URL, LOCK_DB_TABLE: 'locks; drop' }, /"table" must be an SQL identifier/],
  ])('refuses %j with an error naming what is wrong', async (env, message) => {
    const error = await (async () => {
      const manager = LockManager.fromEnv(env);
      try {
        await manager.executeWithLock('x', async () => 1);
      } finally {
        await manager.close();
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('refuses unknown keys and names the Glueful key of a bad column', async () => {
    const build = (store: Record<string, unknown>) => async () => {
      const manager = new LockManager({ default: 'db', stores: { db: { driver: 'database', url: PG_URL, ...store } as never } });
      try {
        await manager.executeWithLock('x', async () => 1);
      } finally {
        await manager.close();
      }
    };
    await expect(build({ connection: 'default' })()).rejects.toThrow(/unknown option "connection".*give url \(a DSN/);
    await expect(build({ id_col: 'bad col' })()).rejects.toThrow(/key "id_col"/);
    await expect(build({ table: 'x', url: 'postgresql+advisory://h/db' })()).rejects.toThrow(/advisory-lock DSN takes no table keys/);
  });
});
