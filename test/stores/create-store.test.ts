import { afterAll, describe, expect, it } from 'vitest';
import {
  FlockStore,
  InMemoryStore,
  InvalidArgumentError,
  Key,
  LockFactory,
  NullStore,
  RedisStore,
  SemaphoreStore,
  createStore,
} from '../../src/index.js';
import { parseRedisDsn } from '../../src/stores/redis/dsn.js';
import { RedisServer, ready } from '../helpers/redis-server.js';
import { tempDir } from '../helpers/tmp.js';

const server = await RedisServer.start();
const admin = await ready(server.client());
const opened: RedisStore[] = [];
afterAll(() => Promise.all(opened.map((s) => s.close())));

function redis(dsn: string): RedisStore {
  const store = createStore(dsn);
  expect(store).toBeInstanceOf(RedisStore);
  opened.push(store as RedisStore);
  return store as RedisStore;
}

describe('createStore', () => {
  it('makes the local stores from their names', () => {
    const dir = tempDir();
    expect(createStore('flock')).toBeInstanceOf(FlockStore);
    const flock = createStore(`flock://${dir}`) as FlockStore;
    expect(flock.dir).toBe(dir);
    expect(createStore('in-memory')).toBeInstanceOf(InMemoryStore);
    expect(createStore('null')).toBeInstanceOf(NullStore);
    if (process.platform === 'linux') {
      expect(createStore('semaphore')).toBeInstanceOf(SemaphoreStore);
      expect((createStore('semaphore://my-app') as SemaphoreStore).namespace).toBe('my-app');
    }
  });

  it('makes a RedisStore from a DSN, connecting lazily, and closes the client it made', async () => {
    await admin.set('dsn-db3-marker', '1');
    const store = redis(`${server.url}/3?initial_ttl=5000&connect_timeout=2000`);
    const lock = new LockFactory(store).createLock('from-dsn');
    expect(await lock.acquire()).toBe(true);
    await admin.select(3);
    try {
      expect(await admin.type('from-dsn')).toBe('zset');
      // The Lock's TTL (LockFactory's 300 s), an expiry: never -1 (none) or -2 (no key).
      const pttl = await admin.pttl('from-dsn');
      expect(pttl).toBeGreaterThan(290_000);
      expect(pttl).toBeLessThanOrEqual(300_000);
    } finally {
      await admin.select(0);
    }
    await lock.release();
    await store.close();
    expect(await lock.isAcquired().catch((e: Error) => e.name)).toBe('LockStorageError');
  });

  it('gives a saved lock the initial_ttl of the DSN, in the database of the DSN', async () => {
    const store = redis(`${server.url}/4?initial_ttl=5000`);
    const key = new Key('initial-ttl');
    await store.save(key); // saved without a Lock: the store's initial TTL applies
    expect(await admin.exists('initial-ttl')).toBe(0); // not in database 0
    await admin.select(4);
    try {
      const pttl = await admin.pttl('initial-ttl');
      expect(pttl).toBeGreaterThan(4_000);
      expect(pttl).toBeLessThanOrEqual(5_000);
    } finally {
      await admin.select(0);
    }
    await store.delete(key);
  });

  it.each([['?db=6'], ['?dbindex=6'], ['/6']])('locks in the database the DSN names (%s)', async (suffix) => {
    const store = redis(`${server.url}${suffix}`);
    const key = new Key(`db-option-${suffix}`);
    await store.save(key);
    expect(await admin.exists(key.resource)).toBe(0);
    await admin.select(6);
    try {
      expect(await admin.type(key.resource)).toBe('zset');
    } finally {
      await admin.select(0);
    }
    // The store's connection is in database 6, as the server sees it.
    const connections = String(await admin.client('LIST')).split('\n');
    expect(connections.some((line) => / db=6 /.test(line) && /cmd=evalsha/.test(line))).toBe(true);
    await store.delete(key);
  });

  it('refuses a database the server does not have, instead of locking in database 0', async () => {
    const store = redis(`redis://:hun%2Fter2@127.0.0.1:${server.port}?db=99`);
    const factory = new LockFactory(store);
    for (const attempt of [() => store.save(new Key('db-99')), () => factory.createLock('db-99').acquire({ timeout: 1_000 })]) {
      const error = (await attempt().catch((e: unknown) => e)) as Error;
      const refusal = error instanceof InvalidArgumentError ? error : (error.cause as Error);
      expect(refusal).toBeInstanceOf(InvalidArgumentError);
      expect(refusal.message).toMatch(/database 99, which the server refuses/);
      expect(refusal.message).toMatch(/DB index is out of range/);
      expect(refusal.message).not.toContain('ter2');
    }
    expect(await admin.exists('db-99')).toBe(0);
    expect(await admin.keys('*db-99*')).toEqual([]);
  });

  it('passes the password of the DSN (and db as an option)', async () => {
    const secured = await RedisServer.start();
    const setup = await ready(secured.client());
    await setup.config('SET', 'requirepass', 's3cr&t');
    const store = redis(`redis://:s3cr%26t@127.0.0.1:${secured.port}?db=1`);
    const key = new Key('with-password');
    await store.save(key);
    expect(await store.exists(key)).toBe(true);
    await store.delete(key);
    await store.close();
    const wrong = redis(`redis://:nope@127.0.0.1:${secured.port}`);
    const error = (await wrong.save(new Key('x')).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('LockStorageError');
    await wrong.close();
  });

  it('wraps an ioredis client object, which stays the caller’s', async () => {
    const client = await ready(server.client());
    const store = createStore(client) as RedisStore;
    expect(store).toBeInstanceOf(RedisStore);
    await store.close();
    expect(await client.ping()).toBe('PONG');
  });

  it('parses rediss://, clusters, sockets and options', () => {
    expect(parseRedisDsn('rediss://u:p@cache.example:6380/2').options).toMatchObject({
      tls: { servername: 'cache.example' }, username: 'u', password: 'p', db: 2,
    });
    expect(parseRedisDsn('redis://only-secret@h').options.password).toBe('only-secret');
    expect(parseRedisDsn('redis:///run/redis.sock?db=4')).toMatchObject({ path: '/run/redis.sock', options: { db: 4 } });
    expect(parseRedisDsn('redis://a:7000?redis_cluster=1&host[b:7001]&host[c]')).toMatchObject({
      cluster: true,
      nodes: [{ host: 'a', port: 7000 }, { host: 'b', port: 7001 }, { host: 'c', port: 6379 }],
    });
    expect(parseRedisDsn('redis://h?max_retries=3&offline_queue=0&command_timeout=100&poll_interval=50')).toMatchObject({
      options: { maxRetriesPerRequest: 3, enableOfflineQueue: false, commandTimeout: 100 },
      store: { pollInterval: 50 },
    });
  });

  it.each([
    ['', /Unsupported store DSN ""/],
    ['mssql://u:hunter2@db/app', /no "mssql" store yet/],
    ['mongodb://localhost', /no "mongodb" store yet/],
    ['flok', /Unsupported store DSN "flok"/],
    ['flock://relative/dir', /absolute directory/],
    ['redis://', /names no host/],
    ['redis://h:notaport', /not a valid URL/],
    ['redis://h/x', /database in the path must be a whole number, got "x"/],
    ['redis://h?timeout=5', /unknown option "timeout"/],
    ['redis://h?initial_ttl=0', /"initial_ttl" must be a positive number/],
    ['redis://h?redis_cluster=maybe', /"redis_cluster" must be 0 or 1/],
    ['redis://a?host[b]', /several hosts need redis_cluster=1/],
  ])('names what is wrong with %j', (dsn, message) => {
    expect(() => createStore(dsn)).toThrow(InvalidArgumentError);
    expect(() => createStore(dsn)).toThrow(message);
  });

  it('never shows a password in an error', () => {
    for (const dsn of [
      'redis://user:hunter2@h?bogus=1',
      'redis://hunter2@h/nodb',
      'rediss://:hunter2@h:x',
      'redis://h?password=hunter2',
      'mysql://root:hunter2@db',
      'nope://root:hunter2@db',
    ]) {
      const error = (() => {
        try {
          createStore(dsn);
        } catch (e) {
          return e as Error;
        }
        throw new Error(`no error for ${dsn}`);
      })();
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.message).not.toContain('hunter2');
    }
  });

  it.each([
    ['redis://:hun/ter2@h/x'],
    ['redis://:hun#ter2@h?bogus=1'],
    ['redis://:hun?ter2@h/x'],
    ['redis://u:hun@ter2@h/nodb'],
    ['redis://:12/34ter2@h'],
    ['redis://u:12/ter2@host'],
    ['redis://u:12?db=ter2@host'],
    ['rediss://:1234#ter2@h'],
    ['redis://:hun%ter2@h'],
  ])('keeps a password with / # ? @ out of the error for %s', (dsn) => {
    const error = (() => {
      try {
        createStore(dsn);
      } catch (e) {
        return e as Error;
      }
      throw new Error(`no error for ${dsn}`);
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toMatch(/Invalid Redis DSN|Invalid store DSN/);
    expect(error.message).not.toContain('ter2');
  });

  it.each([[{}], [42], [null], [{ evalsha: 1 }]])('refuses %j as a connection', (bad) => {
    expect(() => createStore(bad as object)).toThrow(InvalidArgumentError);
  });
});
