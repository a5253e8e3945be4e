// SqlStore on MariaDB/MySQL (mysql2): the conformance suite, Symfony's mysql table and
// save (INSERT, then UPDATE of our own or an expired row), the database clock, gc, DSNs.
import { createHash } from 'node:crypto';
import mysql from 'mysql2';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, Key, LockFactory, SqlStore, createStore } from '../../../src/index.js';
import { runConformance } from '../../conformance/index.js';
import { MYSQL_URL, mysqlPool, tableName } from '../../helpers/sql-servers.js';

const table = tableName('my');
const fresh = tableName('my_fresh');
const pool = await mysqlPool([table, fresh]);
const admin = pool.promise();

runConformance({
  expect: { blocking: true, shared: false, expiring: true },
  name: 'SqlStore (MariaDB)',
  makeStore: () => new SqlStore(pool, { table }),
  transferable: true,
  expiring: { makeStoreWithInitialTtl: (initialTtl) => new SqlStore(pool, { table, initialTtl }), granularity: 1_000 },
});

const idOf = (resource: string) => createHash('sha256').update(resource, 'utf8').digest('hex');

describe('SqlStore on MariaDB', () => {
  afterEach(() => vi.restoreAllMocks());

  it("creates Symfony's mysql table (utf8mb4_bin, InnoDB) and keeps sha256 ids", async () => {
    const store = new SqlStore(admin, { table: fresh });
    const key = new Key('layout ✓');
    await store.save(key);
    const [created] = (await admin.query(`SHOW CREATE TABLE ${fresh}`)) as unknown as [Array<Record<string, string>>];
    const ddl = created[0]!['Create Table']!;
    expect(ddl).toMatch(/`key_id` varchar\(64\) .*NOT NULL/);
    expect(ddl).toMatch(/`key_token` varchar\(44\) .*NOT NULL/);
    expect(ddl).toMatch(/`key_expiration` int\(10\) unsigned NOT NULL/);
    expect(ddl).toMatch(/PRIMARY KEY \(`key_id`\)/);
    expect(ddl).toMatch(/ENGINE=InnoDB/);
    expect(ddl).toMatch(/COLLATE=utf8mb4_bin/);
    const [rows] = (await admin.query(`SELECT * FROM ${fresh} WHERE key_id = ?`, [idOf('layout ✓')])) as unknown as [Array<Record<string, unknown>>];
    expect(rows[0]!.key_token).toHaveLength(44);
    await store.delete(key);
  });

  it('takes over an expired row, refreshes its own, and refuses a live foreign one', async () => {
    const store = new SqlStore(pool, { table });
    await admin.query(`REPLACE INTO ${table} VALUES (?, 'someone', UNIX_TIMESTAMP() - 5)`, [idOf('my-expired')]);
    const key = new Key('my-expired');
    await store.save(key);
    await store.save(key); // ours: refreshed, not refused (same second, same values)
    expect(await store.exists(key)).toBe(true);
    await expect(store.save(new Key('my-expired'))).rejects.toThrow(/held by another owner/);
    await store.delete(key);
  });

  it('writes and judges expiries by the database clock, not the Node clock', async () => {
    const store = new SqlStore(pool, { table, initialTtl: 60_000 });
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 3_600_000);
    const key = new Key('my-clock');
    await store.save(key);
    const [rows] = (await admin.query(
      `SELECT key_expiration - (UNIX_TIMESTAMP() + MICROSECOND(NOW(6)) / 1000000) AS left_s FROM ${table} WHERE key_id = ?`,
      [idOf('my-clock')],
    )) as unknown as [Array<{ left_s: string }>];
    expect(Number(rows[0]!.left_s)).toBeGreaterThan(59);
    expect(Number(rows[0]!.left_s)).toBeLessThanOrEqual(61);
    await admin.query(`UPDATE ${table} SET key_expiration = UNIX_TIMESTAMP() - 1 WHERE key_id = ?`, [idOf('my-clock')]);
    expect(key.isExpired()).toBe(false);
    expect(await store.exists(key)).toBe(false);
  });

  it('deletes expired rows on save with gcProbability 1', async () => {
    await admin.query(`REPLACE INTO ${table} VALUES ('gc-row', 't', UNIX_TIMESTAMP() - 10)`);
    const store = new SqlStore(pool, { table, gcProbability: 1 });
    const key = new Key('my-gc');
    await store.save(key);
    const [rows] = (await admin.query(`SELECT 1 FROM ${table} WHERE key_id = 'gc-row'`)) as unknown as [unknown[]];
    expect(rows).toHaveLength(0);
    await store.delete(key);
  });

  it('is what createStore() makes of mysql:// and mariadb:// DSNs and mysql2 clients; bad DSNs hide the password', async () => {
    for (const dsn of [MYSQL_URL, MYSQL_URL.replace('mysql:', 'mariadb:')]) {
      const store = createStore(dsn);
      expect(store).toBeInstanceOf(SqlStore);
      const lock = new LockFactory(store).createLock('my-dsn');
      expect(await lock.acquire()).toBe(true);
      await lock.release();
      await store.close!();
    }
    expect(createStore(pool)).toBeInstanceOf(SqlStore);
    expect(createStore(admin)).toBeInstanceOf(SqlStore);
    const connection = mysql.createConnection(MYSQL_URL);
    await connection.promise().query('SELECT 1');
    expect(createStore(connection)).toBeInstanceOf(SqlStore);
    await connection.promise().end();
    for (const dsn of ['mysql://u:s3cret@127.0.0.1', 'mariadb://u:s3cret@/test', 'mysql:u:s3cret@host/test']) {
      const error = (() => {
        try {
          createStore(dsn);
        } catch (e) {
          return e as Error;
        }
      })();
      expect(error, dsn).toBeInstanceOf(InvalidArgumentError);
      expect(error!.message).not.toContain('s3cret');
    }
    const unreachable = createStore('mysql://root:s3cret@127.0.0.1:1/test');
    const failure = await new LockFactory(unreachable).createLock('nowhere').acquire().catch((e: Error) => e);
    expect(String((failure as Error).cause)).not.toContain('s3cret');
    await unreachable.close!();
  });
});
