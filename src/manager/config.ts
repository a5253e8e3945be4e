// LockManager configuration: Glueful's config/lock.php, validated. Durations are
// milliseconds or strings with a unit ('30s'), as everywhere in the API.
import { parseDuration, parseTtl, type Duration } from '../core/duration.js';
import { InvalidArgumentError, describeValue } from '../core/errors.js';
import { checkKeys, parseOptions } from '../core/options.js';
import type { Logger } from '../core/lock.js';
import type { PersistingStore } from '../core/store.js';

/**
 * How to build one store. `prefix`, when set, is put in front of every name of this store
 * instead of the manager's prefix (the two never stack: LOCK_PREFIX and LOCK_REDIS_PREFIX
 * set to the same value must not give "app:app:job").
 */
export type StoreConfig =
  | { driver: 'file' | 'flock'; path?: string; mode?: number; prefix?: string }
  | { driver: 'semaphore'; namespace?: string; mode?: number; prefix?: string }
  | { driver: 'redis'; url?: string; prefix?: string }
  | { driver: 'memcached' | 'zookeeper'; url: string; prefix?: string }
  | DatabaseStoreConfig
  | { driver: 'memory' | 'in-memory'; prefix?: string }
  | { driver: 'null'; prefix?: string }
  | { driver: 'dsn'; dsn: string; prefix?: string }
  | { driver: 'custom'; store: PersistingStore; prefix?: string };

/**
 * The `database` driver: SqlStore (Symfony's lock table) on the DSN in `url`
 * (postgres://, mysql://, mariadb://, sqlite:…), or the advisory-lock store a
 * `…+advisory://` DSN names. Glueful's keys name the table and its columns (default
 * Symfony's `lock_keys(key_id, key_token, key_expiration)`, the table Glueful's PHP side
 * really uses: its PdoStore ignores these keys).
 */
export interface DatabaseStoreConfig {
  driver: 'database';
  url?: string;
  table?: string;
  id_col?: string;
  token_col?: string;
  expiration_col?: string;
  prefix?: string;
}

export interface RetryConfig {
  /**
   * Time between attempts of waitAndExecute on a store that cannot wait (±10% jitter):
   * ms or '100ms'. Default 100 ms. It retries until maxWait runs out; there is no count
   * of attempts (Glueful's `times` is refused: it made the wait end before maxWait).
   */
  delay?: Duration;
  /** Longest wait of waitAndExecute: ms or '10s'. Default 10 s. */
  maxWait?: Duration;
}

export interface LockManagerConfig {
  /** The store (a key of `stores`) locks use. Default "file". */
  default?: string;
  /** Named stores. Built-in names: file, semaphore, redis, database, memory, null. */
  stores?: Record<string, StoreConfig>;
  /** Added in front of every lock name. Default "lockwright:". */
  prefix?: string;
  /** Default lock TTL: ms or '5m'. Default 5 minutes. */
  ttl?: Duration;
  retry?: RetryConfig;
  /** Collect metrics (subscribes to the diagnostics channels). Default true. */
  metrics?: boolean;
  logger?: Logger;
}

export const DRIVERS = ['file', 'flock', 'semaphore', 'redis', 'database', 'memcached', 'zookeeper', 'memory', 'in-memory', 'null', 'dsn', 'custom'] as const;

export interface ResolvedConfig {
  default: string;
  stores: Record<string, StoreConfig>;
  prefix: string;
  /** Milliseconds. */
  ttl: number;
  /** Milliseconds. */
  retry: { delay: number; maxWait: number };
  metrics: boolean;
  logger: Logger | undefined;
}

export const DEFAULT_STORES: Readonly<Record<string, StoreConfig>> = Object.freeze({
  file: { driver: 'file' },
  semaphore: { driver: 'semaphore' },
  // No default URL: a redis or database store connects only to a server somebody named.
  redis: { driver: 'redis' },
  database: { driver: 'database' },
  memory: { driver: 'memory' },
  null: { driver: 'null' },
});

const TOP_KEYS = ['default', 'stores', 'prefix', 'ttl', 'retry', 'metrics', 'logger'];
const RETRY_KEYS = ['delay', 'maxWait'];

/** The keys each driver takes, and what to write instead of Glueful's other keys. */
const STORE_KEYS: Record<StoreConfig['driver'], readonly string[]> = {
  file: ['driver', 'path', 'mode', 'prefix'],
  flock: ['driver', 'path', 'mode', 'prefix'],
  semaphore: ['driver', 'namespace', 'mode', 'prefix'],
  redis: ['driver', 'url', 'prefix'],
  database: ['driver', 'url', 'table', 'id_col', 'token_col', 'expiration_col', 'prefix'],
  memcached: ['driver', 'url', 'prefix'],
  zookeeper: ['driver', 'url', 'prefix'],
  memory: ['driver', 'prefix'],
  'in-memory': ['driver', 'prefix'],
  null: ['driver', 'prefix'],
  dsn: ['driver', 'dsn', 'prefix'],
  custom: ['driver', 'store', 'prefix'],
};

const GLUEFUL_HINTS: Readonly<Record<string, string>> = {
  max_wait: "Glueful's retry.max_wait is in seconds: write maxWait with a unit, e.g. maxWait: '10s'.",
  times: 'waitAndExecute retries every retry.delay until retry.maxWait runs out, however many attempts that takes: bound the wait with maxWait.',
  connection:
    'A named connection is not something lockwright can look up: give url (a DSN: redis://…, postgres://…), or driver "custom" with your own client\'s store.',
  extension: "Lock files always have Symfony's names (sf.<name>.<hash>.lock), so that PHP and Node processes exclude each other.",
  ttl: "A lock's TTL is the manager's ttl or each call's { ttl }; a store has none of its own here.",
  table: 'The database drivers are not available in this version; use driver "dsn" with a supported DSN.',
};

/** Fills defaults and checks every value; errors name the option and the value. */
export function resolveConfig(config?: LockManagerConfig): ResolvedConfig {
  config = parseOptions(config, 'LockManager config', TOP_KEYS, GLUEFUL_HINTS);
  const stores: Record<string, StoreConfig> = { ...DEFAULT_STORES };
  const given = config.stores ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new InvalidArgumentError(`LockManager config "stores" must be an object of named stores; got ${describeValue(given)}.`);
  }
  for (const [name, store] of Object.entries(given)) {
    if (typeof store !== 'object' || store === null || Array.isArray(store)) {
      throw new InvalidArgumentError(`LockManager config "stores.${name}" must be an object such as { driver: 'file' }; got ${describeValue(store)}.`);
    }
    // A partial entry for a built-in store (say, only a path) keeps its driver; an entry
    // that names another driver replaces the built-in one entirely.
    const builtIn = stores[name];
    const sameDriver = builtIn !== undefined && (store.driver === undefined || store.driver === builtIn.driver);
    stores[name] = (sameDriver ? { ...builtIn, ...store } : store) as StoreConfig;
    checkStore(name, stores[name]!);
  }
  const name = config.default ?? 'file';
  if (typeof name !== 'string' || !(name in stores)) {
    throw new InvalidArgumentError(
      `LockManager config "default" must name one of the stores (${Object.keys(stores).join(', ')}); got ${describeValue(name)}.`,
    );
  }
  const prefix = config.prefix ?? 'lockwright:';
  if (typeof prefix !== 'string') throw new InvalidArgumentError(`LockManager config "prefix" must be a string; got ${describeValue(prefix)}.`);
  const chosen = stores[name]!;
  if (chosen.driver === 'redis' && !chosen.url) {
    // No silent fallback to a server nobody named.
    throw new InvalidArgumentError(`Store "${name}" (the default) has driver redis but no "url" (LOCK_REDIS_URL): name the server, e.g. "redis://127.0.0.1:6379".`);
  }
  const retry = parseOptions(config.retry, 'LockManager config "retry"', RETRY_KEYS, GLUEFUL_HINTS);
  if (config.metrics !== undefined && typeof config.metrics !== 'boolean') {
    throw new InvalidArgumentError(`LockManager config "metrics" must be a boolean; got ${describeValue(config.metrics)}.`);
  }
  if (config.logger !== undefined && (typeof config.logger !== 'object' || config.logger === null)) {
    throw new InvalidArgumentError(`LockManager config "logger" must be a console-like object; got ${describeValue(config.logger)}.`);
  }
  return {
    default: name,
    stores,
    prefix,
    ttl: positive('ttl', config.ttl ?? 300_000),
    retry: {
      delay: nonNegative('retry.delay', retry.delay ?? 100),
      maxWait: nonNegative('retry.maxWait', retry.maxWait ?? 10_000),
    },
    metrics: config.metrics ?? true,
    logger: config.logger,
  };
}

function checkStore(name: string, store: StoreConfig): void {
  if (!DRIVERS.includes(store.driver as (typeof DRIVERS)[number])) {
    throw new InvalidArgumentError(`Store "${name}": unknown driver ${describeValue(store.driver)} (known: ${DRIVERS.join(', ')}).`);
  }
  checkKeys(store, STORE_KEYS[store.driver], `Store "${name}" (driver ${store.driver})`, GLUEFUL_HINTS);
  const record = store as unknown as Record<string, unknown>;
  for (const key of ['prefix', 'path', 'namespace', 'url', 'dsn']) {
    if (record[key] !== undefined && typeof record[key] !== 'string') {
      throw new InvalidArgumentError(`Store "${name}": "${key}" must be a string; got ${describeValue(record[key])}.`);
    }
  }
  if (record.mode !== undefined && (!Number.isInteger(record.mode) || (record.mode as number) < 0 || (record.mode as number) > 0o777)) {
    throw new InvalidArgumentError(`Store "${name}": "mode" must be file permission bits such as 0o600; got ${describeValue(record.mode)}.`);
  }
  if (store.driver === 'custom' && (typeof store.store !== 'object' || store.store === null || typeof store.store.save !== 'function')) {
    throw new InvalidArgumentError(`Store "${name}": driver "custom" needs "store", a lock store object; got ${describeValue(store.store)}.`);
  }
  if (store.driver === 'dsn' && typeof store.dsn !== 'string') {
    throw new InvalidArgumentError(`Store "${name}": driver "dsn" needs "dsn", a string such as "redis://host:6379"; got ${describeValue(store.dsn)}.`);
  }
}

function positive(option: string, value: unknown): number {
  return parseTtl(value, `LockManager config "${option}"`);
}

function nonNegative(option: string, value: unknown): number {
  return parseDuration(value, `LockManager config "${option}"`);
}
