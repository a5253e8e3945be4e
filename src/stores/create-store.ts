// createStore: a store from a DSN string or a client object, as Symfony's StoreFactory.
import { createRequire } from 'node:module';
import { isAbsolute } from 'node:path';
import { InvalidArgumentError, NotSupportedError, describeValue } from '../core/errors.js';
import type { PersistingStore } from '../core/store.js';
import { FlockStore } from './local/flock-store.js';
import { InMemoryStore } from './memory/in-memory-store.js';
import { NullStore } from './memory/null-store.js';
import { isRedisClient, type RedisClient } from './redis/client.js';
import { redactDsn } from './dsn.js';
import { parseRedisDsn } from './redis/dsn.js';
import { RedisStore, ownClient } from './redis/redis-store.js';
import { SemaphoreStore } from './local/semaphore-store.js';

const UNSUPPORTED_SCHEMES = /^(memcached|mongodb(\+srv)?|mysql2?|mssql|oci8?|pdo_oci|pgsql(\+advisory)?|postgres(ql)?(\+advisory)?|sqlite3?|sqlsrv|zookeeper):/i;

/**
 * A store from a DSN or a client:
 * `flock`, `flock:///abs/dir`, `semaphore`, `semaphore://<namespace>`, `in-memory`,
 * `null`, `redis://[[user]:password@]host[:port][/db][?options]`, `rediss://…` (TLS),
 * or an ioredis `Redis` / `Cluster` object.
 * @throws InvalidArgumentError naming what is wrong with the DSN (passwords masked).
 * @throws NotSupportedError for a redis DSN when the ioredis package is not installed.
 */
export function createStore(dsnOrClient: string | object): PersistingStore {
  if (typeof dsnOrClient !== 'string') {
    if (isRedisClient(dsnOrClient)) return new RedisStore(dsnOrClient);
    throw new InvalidArgumentError(
      `createStore() needs a DSN string or an ioredis client; got ${describeValue(dsnOrClient)}.`,
    );
  }
  const dsn = dsnOrClient.trim();
  switch (dsn) {
    case 'flock':
      return new FlockStore();
    case 'semaphore':
      return new SemaphoreStore();
    case 'in-memory':
      return new InMemoryStore();
    case 'null':
      return new NullStore();
  }
  if (dsn.startsWith('flock://')) {
    const dir = decode(dsn.slice('flock://'.length), dsn);
    if (!isAbsolute(dir)) {
      throw new InvalidArgumentError(`Invalid store DSN "${redactDsn(dsn)}": flock:// needs an absolute directory, as in flock:///var/lock/app.`);
    }
    return new FlockStore(dir);
  }
  if (dsn.startsWith('semaphore://')) {
    return new SemaphoreStore({ namespace: decode(dsn.slice('semaphore://'.length), dsn) });
  }
  if (/^rediss?:/i.test(dsn)) return redisStore(dsn);
  if (UNSUPPORTED_SCHEMES.test(dsn)) {
    const scheme = dsn.slice(0, dsn.indexOf(':'));
    throw new InvalidArgumentError(`Unsupported store DSN "${redactDsn(dsn)}": lockwright has no "${scheme}" store yet.`);
  }
  throw new InvalidArgumentError(
    `Unsupported store DSN "${redactDsn(dsn)}" (expected flock, flock:///dir, semaphore, in-memory, null, redis://… or rediss://…).`,
  );
}

function redisStore(dsn: string): RedisStore {
  const parsed = parseRedisDsn(dsn);
  const ioredis = loadIoredis();
  let client: RedisClient & { on(event: 'error', listener: () => void): unknown };
  if (parsed.cluster) {
    const { lazyConnect, maxRetriesPerRequest, enableOfflineQueue, ...redisOptions } = parsed.options;
    const clusterOptions: Record<string, unknown> = { lazyConnect, redisOptions: { ...redisOptions, maxRetriesPerRequest } };
    if (enableOfflineQueue !== undefined) clusterOptions.enableOfflineQueue = enableOfflineQueue;
    client = new ioredis.Cluster(parsed.nodes, clusterOptions);
  } else {
    const target = parsed.path !== undefined ? { path: parsed.path } : parsed.nodes[0]!;
    client = new ioredis.Redis({ ...target, ...parsed.options });
  }
  // The store owns this client: failures reach callers through the store's errors, not
  // as "[ioredis] Unhandled error event" lines on stderr.
  client.on('error', () => {});
  return ownClient(new RedisStore(client, parsed.store));
}

interface IoredisModule {
  Redis: new (options: Record<string, unknown>) => RedisClient & { on(event: 'error', listener: () => void): unknown };
  Cluster: new (
    nodes: Array<{ host: string; port: number }>,
    options: Record<string, unknown>,
  ) => RedisClient & { on(event: 'error', listener: () => void): unknown };
}

// ioredis is an optional peer dependency, loaded only for a redis DSN. Synchronously
// (require), so that createStore() can return a store rather than a promise of one.
function loadIoredis(): IoredisModule {
  let loaded: Partial<IoredisModule> & { default?: Partial<IoredisModule> };
  try {
    loaded = createRequire(import.meta.url)('ioredis');
  } catch (cause) {
    throw new NotSupportedError('A redis:// store needs the ioredis package: run "npm install ioredis".', { cause });
  }
  const Redis = loaded.Redis ?? loaded.default?.Redis;
  const Cluster = loaded.Cluster ?? loaded.default?.Cluster;
  if (typeof Redis !== 'function' || typeof Cluster !== 'function') {
    throw new NotSupportedError('The installed ioredis package exports no Redis and Cluster classes (ioredis 5 or later is needed).');
  }
  return { Redis, Cluster };
}

function decode(text: string, dsn: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new InvalidArgumentError(`Invalid store DSN "${redactDsn(dsn)}": bad percent-encoding.`);
  }
}
