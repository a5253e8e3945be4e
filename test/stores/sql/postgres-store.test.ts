// SqlStore on PostgreSQL (pg): the conformance suite for its capabilities, Symfony's
// table and ids, the database clock, the conflict-safe upsert inside a caller's open
// transaction, gc, createTable(), fencing, options and DSNs.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  InvalidArgumentError,
  InvalidTtlError,
  Key,
  LockConflictedError,
  LockFactory,
  LockStorageError,
  SqlStore,
  createStore,
} from '../../../src/index.js';
import { runConformance } from '../../conformance/index.js';
import { PG_URL, postgresPool, tableName } from '../../helpers/sql-servers.js';

const table = tableName('pg');
const fresh = tableName('pg_fresh');
const custom = tableName('pg_custom');
const pool = await postgresPool([table, fresh, custom]);

runConformance({
  expect: { blocking: true, shared: false, expiring: true },
  name: 'SqlStore (PostgreSQL)',
  makeStore: () => new SqlStore(pool, { table }),
  transferable: true,
  expiring: { makeStoreWithInitialTtl: (initialTtl) => new SqlStore(pool, { table, initialTtl }), granularity: 1_000 },
});

const row = async (resource: string, name = table) =>
  (await pool.query(`SELECT * FROM ${name} WHERE key_id = $1`, [createHash('sha256').update(resource).digest('hex')])).rows[0];

describe('SqlStore on PostgreSQL: Symfony layout', () => {
  it("creates Symfony's pgsql table on first use, and keeps sha256 ids and 44-character tokens", async () => {
    const store = new SqlStore(pool, { table: fresh });
    const key = new Key('layout résumé');
    await store.save(key);
    const columns = await pool.query(
      `SELECT column_name, data_type, character_maximum_length AS len, is_nullable FROM information_schema.columns
       WHERE table_name = $1 ORDER BY ordinal_position`,
      [fresh],
    );
    expect(columns.rows).toEqual([
      { column_name: 'key_id', data_type: 'character varying', len: 64, is_nullable: 'NO' },
      { column_name: 'key_token', data_type: 'character varying', len: 64, is_nullable: 'NO' },
      { column_name: 'key_expiration', data_type: 'integer', len: null, is_nullable: 'YES' },
    ]);
    const saved = await row('layout résumé', fresh);
    expect(saved.key_id).toBe(createHash('sha256').update('layout résumé', 'utf8').digest('hex'));
    expect(saved.key_token).toHaveLength(44);
    expect(Buffer.from(saved.key_token, 'base64')).toHaveLength(32);
    await store.delete(key);
    expect(await row('layout résumé', fresh)).toBeUndefined();
  });

  it('honours table and column names, and createTable() makes them (an existing table is an error)', async () => {
    const options = { table: custom, idColumn: 'id', tokenColumn: 'owner', expirationColumn: 'expires_at' };
    const store = new SqlStore(pool, options);
    await store.createTable();
    await expect(store.createTable()).rejects.toBeInstanceOf(LockStorageError);
    const key = new Key('custom-columns');
    await store.save(key);
    const found = await pool.query(`SELECT id, owner, expires_at FROM ${custom}`);
    expect(found.rows).toHaveLength(1);
    await store.delete(key);
  });
});

describe('SqlStore on PostgreSQL: the database clock', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes expiries by the server clock, whatever the Node clock says', async () => {
    const store = new SqlStore(pool, { table, initialTtl: 60_000 });
    const realNow = Date.now();
    // The Node clock an hour ahead: a store using it would write an expiry an hour late.
    vi.spyOn(Date, 'now').mockReturnValue(realNow + 3_600_000);
    const key = new Key('db-clock');
    await store.save(key);
    const { rows } = await pool.query(
      `SELECT key_expiration - EXTRACT(epoch FROM clock_timestamp())::float8 AS left FROM ${table} WHERE key_id = $1`,
      [createHash('sha256').update('db-clock').digest('hex')],
    );
    expect(rows[0].left).toBeGreaterThan(59);
    expect(rows[0].left).toBeLessThanOrEqual(61);
    expect(await store.exists(key)).toBe(true);
    await store.delete(key);
  });

  it('judges expiry by the server clock: a row the server sees expired is free, although the key still has time', async () => {
    const store = new SqlStore(pool, { table, initialTtl: 60_000 });
    const key = new Key('db-clock-expired');
    await store.save(key);
    await pool.query(
      `UPDATE ${table} SET key_expiration = CAST(EXTRACT(epoch FROM clock_timestamp()) AS INT) - 1 WHERE key_id = $1`,
      [createHash('sha256').update('db-clock-expired').digest('hex')],
    );
    expect(key.isExpired()).toBe(false);
    expect(await store.exists(key)).toBe(false);
    const other = new Key('db-clock-expired');
    await store.save(other);
    expect(await store.exists(other)).toBe(true);
    await store.delete(other);
  });
});

describe('SqlStore on PostgreSQL: transactions', () => {
  it("refuses a busy lock inside the caller's open transaction without aborting it", async () => {
    const holder = new LockFactory(new SqlStore(pool, { table })).createLock('in-transaction');
    expect(await holder.acquire()).toBe(true);
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query('CREATE TEMP TABLE tx_probe (v int)');
      await client.query('BEGIN');
      await client.query('INSERT INTO tx_probe VALUES (1)');
      const lock = new LockFactory(new SqlStore(client, { table })).createLock('in-transaction');
      expect(await lock.acquire()).toBe(false);
      // Symfony 5.4's INSERT would have failed here and left the transaction aborted (25P02).
      await client.query('INSERT INTO tx_probe VALUES (2)');
      await client.query('COMMIT');
      expect((await client.query('SELECT count(*)::int AS n FROM tx_probe')).rows[0].n).toBe(2);
    } finally {
      await client.end();
    }
    await holder.release();
  });
});

describe('SqlStore on PostgreSQL: gc, fencing', () => {
  it('deletes expired rows on save with gcProbability 1, and keeps them with 0', async () => {
    const expiredId = 'f'.repeat(64);
    const plant = () =>
      pool.query(
        `INSERT INTO ${table} VALUES ($1, 'someone', CAST(EXTRACT(epoch FROM clock_timestamp()) AS INT) - 10)
         ON CONFLICT (key_id) DO UPDATE SET key_expiration = EXCLUDED.key_expiration`,
        [expiredId],
      );
    const count = async () => (await pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE key_id = $1`, [expiredId])).rows[0].n;
    await plant();
    const keep = new SqlStore(pool, { table, gcProbability: 0 });
    const k1 = new Key('gc-0');
    await keep.save(k1);
    expect(await count()).toBe(1);
    const collect = new SqlStore(pool, { table, gcProbability: 1 });
    const k2 = new Key('gc-1');
    await collect.save(k2);
    expect(await count()).toBe(0);
    await plant();
    await collect.prune();
    expect(await count()).toBe(0);
    await keep.delete(k1);
    await collect.delete(k2);
  });

  it('issues increasing fencing tokens from a sequence beside the table', async () => {
    const factory = new LockFactory(new SqlStore(pool, { table }));
    const other = new LockFactory(new SqlStore(pool, { table }));
    const tokens: bigint[] = [];
    for (let i = 0; i < 4; i++) {
      const lock = (i % 2 === 0 ? factory : other).createLock('fenced');
      expect(await lock.acquire()).toBe(true);
      tokens.push(lock.fencingToken!);
      await lock.release();
    }
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]! > tokens[i - 1]!).toBe(true);
    const unfenced = new LockFactory(new SqlStore(pool, { table, fencing: false })).createLock('fenced');
    expect(await unfenced.acquire()).toBe(true);
    expect(unfenced.fencingToken).toBeUndefined();
    await unfenced.release();
  });
});

describe('SqlStore on PostgreSQL: options and DSNs', () => {
  it.each([
    [{ table: 'lock_keys; DROP TABLE x' }, 'table'],
    [{ table: 'a.b.c' }, 'table'],
    [{ idColumn: '1id' }, 'idColumn'],
    [{ tokenColumn: 'to ken' }, 'tokenColumn'],
    [{ expirationColumn: '' }, 'expirationColumn'],
    [{ gcProbability: 1.5 }, 'gcProbability'],
    [{ gcProbability: '0.1' }, 'gcProbability'],
    [{ initialTtl: 0 }, 'initialTtl'],
    [{ pollInterval: -5 }, 'pollInterval'],
    [{ fencing: 'yes' }, 'fencing'],
    [{ tabel: 'x' }, 'tabel'],
  ])('refuses %j naming the option', (options, name) => {
    const error = (() => {
      try {
        new SqlStore(pool, options as never);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toContain(name);
  });

  it('refuses an initialTtl that is no TTL with InvalidTtlError, and a client it does not know', () => {
    expect(() => new SqlStore(pool, { initialTtl: Number.NaN })).toThrow(InvalidTtlError);
    expect(() => new SqlStore({ query() {} } as never)).toThrow(/pg Pool or Client/);
  });

  it('is what createStore() makes of postgres:// and postgresql:// DSNs and of a pg Pool or Client', async () => {
    for (const dsn of [PG_URL, PG_URL.replace('postgres:', 'postgresql:')]) {
      const store = createStore(dsn);
      expect(store).toBeInstanceOf(SqlStore);
      const lock = new LockFactory(store).createLock('from-dsn');
      expect(await lock.acquire()).toBe(true);
      await lock.release();
      await store.close!();
    }
    expect(createStore(pool)).toBeInstanceOf(SqlStore);
    expect(createStore(new pg.Client())).toBeInstanceOf(SqlStore);
  });

  it('gives typed errors for bad DSNs, never showing the password', async () => {
    for (const dsn of ['postgres://u:s3cret@/test', 'postgres:/u:s3cret@host/test', 'postgres://u:s3cret@host:99999/test']) {
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
    // A server that is not there: a LockStorageError on first use, without the password.
    const store = createStore('postgres://postgres:s3cret@127.0.0.1:1/test');
    const error = await new LockFactory(store).createLock('nowhere').acquire().catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(((error as Error).cause as Error)).toBeInstanceOf(LockStorageError);
    expect(String((error as Error).cause)).not.toContain('s3cret');
    await store.close!();
  });

  it('reports a conflict as LockConflictedError and a putOff of a foreign key as a conflict', async () => {
    const store = new SqlStore(pool, { table });
    const a = new Key('conflict');
    await store.save(a);
    await expect(store.save(new Key('conflict'))).rejects.toBeInstanceOf(LockConflictedError);
    await expect(store.putOffExpiration(new Key('conflict'), 5_000)).rejects.toBeInstanceOf(LockConflictedError);
    await store.delete(a);
  });
});
