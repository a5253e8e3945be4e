// MysqlStore against the real server (MariaDB here): the conformance suite for what it
// declares (persisting, blocking, keys bound to this process), Symfony 8.2's lock names,
// the in-process bookkeeping, both mysql2 APIs, and typed errors for bad input.
import { createHash } from 'node:crypto';
import { createConnection } from 'mysql2';
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  Key,
  LockAcquiringError,
  LockConflictedError,
  LockFactory,
  MysqlStore,
  createStore,
  isBlockingStore,
  isSharedLockStore,
} from '../../../src/index.js';
import { runConformance } from '../../conformance/index.js';
import { expectBadDsns, expectRefusedWithoutSecret } from '../../helpers/advisory-stores.js';
import { MY, MY_DSN, myConnection, mysqlReady, usedBy } from '../../helpers/mysql.js';

const connection = await myConnection();
const admin = await myConnection();
const sha = (r: string) => createHash('sha256').update(r).digest('hex');

runConformance({
  expect: { blocking: true, shared: false, expiring: false },
  name: 'MysqlStore',
  makeStore: () => new MysqlStore(connection),
  local: true,
});

describe('MysqlStore server and capabilities', () => {
  it('runs on a server that answers SELECT VERSION() (MariaDB here; MySQL proper is not installed)', async () => {
    expect(await mysqlReady()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('is blocking and exclusive only: acquireRead() takes the lock exclusively', async () => {
    const store = new MysqlStore(connection);
    expect(isBlockingStore(store)).toBe(true);
    expect(isSharedLockStore(store)).toBe(false);
    const factory = new LockFactory(store);
    const reader = factory.createLock('my-read-fallback');
    expect(await reader.acquireRead()).toBe(true);
    expect(await factory.createLock('my-read-fallback').acquireRead()).toBe(false);
    await reader.release();
  });
});

describe('MysqlStore lock names (Symfony 8.2: sha256 hex of the resource)', () => {
  it('holds GET_LOCK(sha256(resource)) on its connection, visible to IS_USED_LOCK', async () => {
    const store = new MysqlStore(connection);
    const resource = 'app:cache/rebuild ünïcode ✓';
    const key = new Key(resource);
    await store.save(key);
    const [rows] = await connection.query('SELECT CONNECTION_ID() AS id');
    expect(await usedBy(admin, sha(resource))).toBe(Number((rows as Array<{ id: number }>)[0]!.id));
    await store.delete(key);
    expect(await usedBy(admin, sha(resource))).toBeNull();
  });

  it('keeps resources differing only by case apart', async () => {
    const store = new MysqlStore(connection);
    const [a, b] = [new Key('my-Case'), new Key('my-case')];
    await store.save(a);
    await store.save(b);
    await store.delete(a);
    await store.delete(b);
  });

  it('never stacks: one RELEASE_LOCK frees what the session took', async () => {
    const store = new MysqlStore(connection);
    const key = new Key('my-no-stack');
    await store.save(key);
    await store.save(key);
    await store.delete(key);
    expect(await usedBy(admin, sha('my-no-stack'))).toBeNull();
  });
});

describe('MysqlStore bookkeeping and clients', () => {
  it('lets two stores on one connection exclude each other', async () => {
    const [one, two] = [new MysqlStore(connection), new MysqlStore(connection)];
    const key = new Key('my-same-connection');
    await one.save(key);
    await expect(two.save(new Key('my-same-connection'))).rejects.toBeInstanceOf(LockConflictedError);
    await one.delete(key);
  });

  it('takes a callback-API connection (through its .promise())', async () => {
    const raw = createConnection(MY);
    raw.on('error', () => {});
    const store = new MysqlStore(raw);
    const other = new MysqlStore(connection);
    const key = new Key('my-callback-api');
    await store.save(key);
    await expect(other.save(new Key('my-callback-api'))).rejects.toBeInstanceOf(LockConflictedError);
    const waiting = other.waitAndSave(new Key('my-callback-api'), { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    await store.delete(key);
    await waiting;
    await other.close();
    await store.close();
    await new Promise<void>((r) => raw.end(() => r()));
    await connection.query('SELECT RELEASE_LOCK(?)', [sha('my-callback-api')]);
  });

  it('refuses pools, non-connections and unknown options', async () => {
    const { createPool } = await import('mysql2/promise');
    const pool = createPool(MY);
    expect(() => new MysqlStore(pool)).toThrow(/getConnection\(\)/);
    await pool.end();
    expect(() => new MysqlStore({})).toThrow(InvalidArgumentError);
    expect(() => new MysqlStore(connection, { ttl: 1 } as never)).toThrow(/Unknown MysqlStore option "ttl"/);
    await expect(new MysqlStore(connection).waitAndSave(new Key('x'), { timeout: Number.NaN })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('MysqlStore from a DSN', () => {
  it('is built by createStore for mysql+advisory:// and mariadb+advisory://, and closes its connection', async () => {
    for (const dsn of [MY_DSN, MY_DSN.replace('mysql+advisory', 'mariadb+advisory')]) {
      const store = createStore(dsn);
      expect(store).toBeInstanceOf(MysqlStore);
      const lock = new LockFactory(store).createLock('my-dsn');
      expect(await lock.acquire()).toBe(true);
      const signal = lock.signal;
      expect(await usedBy(admin, sha('my-dsn'))).not.toBeNull();
      await store.close!();
      expect(signal.aborted).toBe(true);
      // The server frees a closed session's locks as soon as it sees the connection go.
      for (let i = 0; i < 100 && (await usedBy(admin, sha('my-dsn'))) !== null; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await usedBy(admin, sha('my-dsn'))).toBeNull();
      const error = await lock.acquire().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockAcquiringError);
    }
  });

  it('refuses bad DSNs with typed errors that hide the password', async () => {
    expectBadDsns(
      [
        'mysql+advisory://u:s3cret@',
        'mysql+advisory://u:s3c/ret@127.0.0.1/test?bogus=1',
        'mariadb+advisory://u:s3cret@127.0.0.1/test?connect_timeout=x',
        'mysql+advisory://u:s3cret@127.0.0.1/a/b',
      ],
      /s3c/,
    );
    await expectRefusedWithoutSecret(new MysqlStore('mysql+advisory://nobody:t0psecret@127.0.0.1:1/test?connect_timeout=2'), 'my-refused', /t0psecret/);
  });

});
