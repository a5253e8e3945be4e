// PostgreSqlStore against the real server: the conformance suite for what it declares
// (persisting, shared, blocking, keys bound to this process), Symfony's lock ids and
// pg_locks layout, the in-process bookkeeping, and typed errors for bad input.
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  Key,
  LockAcquiringError,
  LockConflictedError,
  LockFactory,
  PostgreSqlStore,
  createStore,
  isBlockingSharedLockStore,
  isBlockingStore,
  verifiesDelete,
} from '../../../src/index.js';
import { runConformance } from '../../conformance/index.js';
import { expectBadDsns, expectRefusedWithoutSecret } from '../../helpers/advisory-stores.js';
import { PG_DSN, advisoryHolders, pgClient } from '../../helpers/postgres.js';

const client = await pgClient();
const admin = await pgClient();

runConformance({
  expect: { blocking: true, shared: true, blockingShared: true, expiring: false },
  name: 'PostgreSqlStore',
  makeStore: () => new PostgreSqlStore(client),
  local: true,
});

describe('PostgreSqlStore capabilities', () => {
  it('declares blocking, blocking-shared and verified deletes', () => {
    const store = new PostgreSqlStore(client);
    expect(isBlockingStore(store)).toBe(true);
    expect(isBlockingSharedLockStore(store)).toBe(true);
    expect(verifiesDelete(store)).toBe(true);
  });
});

describe('PostgreSqlStore lock ids (Symfony: crc32 as one bigint)', () => {
  it('holds the crc32 of the resource as classid 0, objid crc, objsubid 1', async () => {
    const store = new PostgreSqlStore(client);
    const resource = 'résumé';
    expect(crc32(Buffer.from(resource))).toBe(2784002487);
    const key = new Key(resource);
    await store.save(key);
    const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    expect(await advisoryHolders(admin, 2784002487)).toEqual([{ pid, mode: 'ExclusiveLock' }]);
    // Another session cannot take the same bigint; the two-int overload is another lock.
    expect((await admin.query('SELECT pg_try_advisory_lock(2784002487::bigint) AS ok')).rows[0].ok).toBe(false);
    await store.delete(key);
    expect(await advisoryHolders(admin, 2784002487)).toEqual([]);
  });

  it('holds shared locks as ShareLock, once per session however many readers', async () => {
    const store = new PostgreSqlStore(client);
    const [a, b] = [new Key('pg-readers'), new Key('pg-readers')];
    await store.saveRead(a);
    await store.saveRead(b);
    const id = crc32(Buffer.from('pg-readers'));
    expect((await advisoryHolders(admin, id)).map((h) => h.mode)).toEqual(['ShareLock']);
    await store.delete(a);
    expect((await advisoryHolders(admin, id)).map((h) => h.mode)).toEqual(['ShareLock']);
    await store.delete(b);
    expect(await advisoryHolders(admin, id)).toEqual([]);
    // The session holds nothing stacked: one more unlock finds nothing to release.
    expect((await client.query(`SELECT pg_advisory_unlock_shared(${id}::bigint) AS ok`)).rows[0].ok).toBe(false);
  });

  it('makes colliding resources exclude each other in one process, as across processes', async () => {
    // "plumless" and "buckeroo" share a crc32 (a well-known pair).
    expect(crc32(Buffer.from('plumless'))).toBe(crc32(Buffer.from('buckeroo')));
    const store = new PostgreSqlStore(client);
    const a = new Key('plumless');
    await store.save(a);
    await expect(store.save(new Key('buckeroo'))).rejects.toBeInstanceOf(LockConflictedError);
    await store.delete(a);
  });
});

describe('PostgreSqlStore bookkeeping per connection', () => {
  it('lets two stores on one client exclude each other without the server', async () => {
    const [one, two] = [new PostgreSqlStore(client), new PostgreSqlStore(client)];
    const key = new Key('pg-same-client');
    await one.save(key);
    await expect(two.save(new Key('pg-same-client'))).rejects.toBeInstanceOf(LockConflictedError);
    expect(await two.exists(key)).toBe(true);
    await two.delete(key);
    expect(await one.exists(key)).toBe(false);
  });

  it('sees a lock released behind its back (pg_advisory_unlock_all) as not held', async () => {
    const store = new PostgreSqlStore(client);
    const lock = new LockFactory(store).createLock('pg-unlock-all');
    expect(await lock.acquire()).toBe(true);
    const signal = lock.signal;
    await client.query('SELECT pg_advisory_unlock_all()');
    expect(await lock.isAcquired()).toBe(false);
    expect(signal.aborted).toBe(true);
    expect(await lock.acquire()).toBe(true);
    await lock.release();
  });

  it('checks exists() against pg_locks and refresh() against exists()', async () => {
    const store = new PostgreSqlStore(client);
    const key = new Key('pg-refresh');
    await expect(store.putOffExpiration(key, 1000)).rejects.toBeInstanceOf(LockConflictedError);
    await store.save(key);
    await store.putOffExpiration(key, 1000);
    expect(key.getRemainingLifetime()).toBeNull();
    await store.delete(key);
  });
});

describe('PostgreSqlStore from a DSN', () => {
  it('is built by createStore for postgresql+advisory:// and pgsql+advisory://, and closes its connections', async () => {
    for (const dsn of [PG_DSN, PG_DSN.replace('postgresql+advisory', 'pgsql+advisory')]) {
      const store = createStore(dsn);
      expect(store).toBeInstanceOf(PostgreSqlStore);
      const lock = new LockFactory(store).createLock('pg-dsn');
      expect(await lock.acquire()).toBe(true);
      const signal = lock.signal;
      const { rows } = await admin.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'lockwright' AND datname = 'test'",
      );
      expect(rows[0].n).toBeGreaterThanOrEqual(1);
      await store.close!();
      // Closing the session released the lock on the server.
      expect(await advisoryHolders(admin, crc32(Buffer.from('pg-dsn')))).toEqual([]);
      // Its Lock heard of it: the session that held the lock is gone.
      expect(signal.aborted).toBe(true);
      const error = await lock.acquire().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockAcquiringError);
      expect(String((error as Error).cause)).toMatch(/closed/);
    }
  });

  it('refuses bad DSNs and options with typed errors that hide the password', () => {
    expectBadDsns(
      [
        'postgresql+advisory://u:s3cr%2Ft@',
        'postgresql+advisory://u:s3cr/et@127.0.0.1/test?bogus=1',
        'postgresql+advisory://u:s3cret@127.0.0.1/test?sslmode=maybe',
        'postgresql+advisory://u:s3cret@127.0.0.1/test?connect_timeout=-1',
        'postgresql+advisory://u:s3cret@127.0.0.1/a/b',
      ],
      /s3cr/,
    );
    expect(() => createStore('postgresql+advisory://u:pw@127.0.0.1/test?bogus=1')).toThrow(/unknown option "bogus"/);
  });

  it('reports a refused connection as LockStorageError without the password', async () => {
    await expectRefusedWithoutSecret(new PostgreSqlStore('postgresql+advisory://nobody:t0psecret@127.0.0.1:1/test?connect_timeout=2'), 'pg-refused', /t0psecret/);
  });

  it('refuses a pg.Pool, a non-client and unknown options', async () => {
    const pg = (await import('pg')).default;
    const pool = new pg.Pool();
    expect(() => new PostgreSqlStore(pool as never)).toThrow(/pool\.connect\(\)/);
    await pool.end();
    expect(() => new PostgreSqlStore({} as never)).toThrow(InvalidArgumentError);
    expect(() => new PostgreSqlStore(client, { ttl: 5 } as never)).toThrow(/Unknown PostgreSqlStore option "ttl"/);
    expect(() => new PostgreSqlStore(client, { waitConnection: 5 } as never)).toThrow(/waitConnection/);
    await expect(new PostgreSqlStore(client).waitAndSave(new Key('x'), { timeout: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('PostgreSqlStore on a pool', () => {
  it('runs on a checked-out PoolClient, with waits on connections from the same pool', async () => {
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ host: '127.0.0.1', user: 'postgres', database: 'test', max: 4 });
    pool.on('error', () => {});
    const pinned = await pool.connect();
    const store = new PostgreSqlStore(pinned, { waitConnection: () => pool.connect() });
    const holder = new PostgreSqlStore(client);
    const held = new Key('pg-pool');
    await holder.save(held);
    const key = new Key('pg-pool');
    const waiting = store.waitAndSave(key, { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    expect(pool.totalCount).toBe(2); // the pinned client and one wait connection
    await holder.delete(held);
    await waiting;
    expect(await store.exists(key)).toBe(true);
    await store.delete(key);
    await store.close(); // gives the wait connection back; the pinned one stays the caller's
    pinned.release();
    await pool.end();
  });
});
