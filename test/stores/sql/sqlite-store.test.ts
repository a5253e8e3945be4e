// SqlStore on SQLite (better-sqlite3): the conformance suite on a temporary file,
// Symfony's sqlite table, the database clock, an open transaction, gc and DSNs.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, Key, LockFactory, SqlStore, createStore } from '../../../src/index.js';
import { runConformance } from '../../conformance/index.js';
import { sqliteDatabase, sqliteFile } from '../../helpers/sql-servers.js';

const file = sqliteFile();
const db = sqliteDatabase(file);
const other = sqliteDatabase(file); // a second connection to the same file

runConformance({
  expect: { blocking: true, shared: false, expiring: true },
  name: 'SqlStore (SQLite)',
  makeStore: () => new SqlStore(db),
  transferable: true,
  expiring: { makeStoreWithInitialTtl: (initialTtl) => new SqlStore(db, { initialTtl }), granularity: 1_000 },
});

const idOf = (resource: string) => createHash('sha256').update(resource, 'utf8').digest('hex');

describe('SqlStore on SQLite', () => {
  afterEach(() => vi.restoreAllMocks());

  it("creates Symfony's sqlite table and keeps sha256 ids, seen from another connection", async () => {
    const store = new SqlStore(db);
    const key = new Key('layout ✓');
    await store.save(key);
    const ddl = other.prepare("SELECT sql FROM sqlite_master WHERE name = 'lock_keys'").get() as { sql: string };
    expect(ddl.sql).toBe('CREATE TABLE lock_keys (key_id TEXT NOT NULL PRIMARY KEY, key_token TEXT NOT NULL, key_expiration INTEGER)');
    const row = other.prepare('SELECT * FROM lock_keys WHERE key_id = ?').get(idOf('layout ✓')) as Record<string, unknown>;
    expect(row.key_token).toHaveLength(44);
    expect(typeof row.key_expiration).toBe('number');
    // A store on the other connection sees the lock.
    await expect(new SqlStore(other).save(new Key('layout ✓'))).rejects.toThrow(/held by another owner/);
    await store.delete(key);
  });

  it('writes and judges expiries by the database clock, not the Node clock', async () => {
    const store = new SqlStore(db, { initialTtl: 60_000 });
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 3_600_000);
    const key = new Key('sqlite-clock');
    await store.save(key);
    const { left } = other
      .prepare("SELECT key_expiration - (julianday('now') - 2440587.5) * 86400.0 AS left FROM lock_keys WHERE key_id = ?")
      .get(idOf('sqlite-clock')) as { left: number };
    expect(left).toBeGreaterThan(59);
    expect(left).toBeLessThanOrEqual(61);
    other.prepare("UPDATE lock_keys SET key_expiration = strftime('%s','now') - 1 WHERE key_id = ?").run(idOf('sqlite-clock'));
    expect(key.isExpired()).toBe(false);
    expect(await store.exists(key)).toBe(false);
  });

  it("refuses a busy lock inside the caller's open transaction, which then commits", async () => {
    const holder = new LockFactory(new SqlStore(other)).createLock('sqlite-tx');
    expect(await holder.acquire()).toBe(true);
    db.exec('CREATE TABLE IF NOT EXISTS tx_probe (v INTEGER)');
    db.exec('BEGIN');
    db.prepare('INSERT INTO tx_probe VALUES (1)').run();
    expect(await new LockFactory(new SqlStore(db)).createLock('sqlite-tx').acquire()).toBe(false);
    db.prepare('INSERT INTO tx_probe VALUES (2)').run();
    db.exec('COMMIT');
    expect((other.prepare('SELECT count(*) AS n FROM tx_probe').get() as { n: number }).n).toBe(2);
    await holder.release();
  });

  it('deletes expired rows on save with gcProbability 1', async () => {
    other.prepare("INSERT OR REPLACE INTO lock_keys VALUES ('gc-row', 't', strftime('%s','now') - 10)").run();
    const store = new SqlStore(db, { gcProbability: 1 });
    const key = new Key('sqlite-gc');
    await store.save(key);
    expect(other.prepare("SELECT 1 FROM lock_keys WHERE key_id = 'gc-row'").get()).toBeUndefined();
    await store.delete(key);
  });

  it('opens sqlite:///abs/file.db and sqlite::memory: DSNs, and refuses other forms', async () => {
    for (const dsn of [`sqlite://${file}`, 'sqlite::memory:']) {
      const store = createStore(dsn);
      expect(store).toBeInstanceOf(SqlStore);
      const lock = new LockFactory(store).createLock('sqlite-dsn');
      expect(await lock.acquire()).toBe(true);
      await lock.release();
      await store.close!();
    }
    for (const dsn of ['sqlite://relative.db', 'sqlite:relative.db', 'sqlite:///', 'sqlite:memory']) {
      expect(() => createStore(dsn), dsn).toThrow(InvalidArgumentError);
    }
    expect(() => new SqlStore(db, { fencing: true })).toThrow(/only available on PostgreSQL/);
    expect(createStore(db)).toBeInstanceOf(SqlStore);
  });
});
