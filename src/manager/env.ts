// LockManager.fromEnv(): Glueful's environment variables. Each keeps its documented
// unit (LOCK_TTL and LOCK_MAX_WAIT in seconds, LOCK_RETRY_DELAY in milliseconds); an
// invalid value is an error naming the variable and the value. Every LOCK_* variable is
// used or refused: a variable nobody reads is a setting somebody believes in.
import { checkTtlBounds } from '../core/duration.js';
import { InvalidArgumentError } from '../core/errors.js';
import { redactDsn } from '../stores/dsn.js';
import type { LockManagerConfig, StoreConfig } from './config.js';

export type Env = Record<string, string | undefined>;

const DRIVER_NAMES: Record<string, string> = {
  file: 'file', flock: 'file', semaphore: 'semaphore', redis: 'redis', database: 'database', memory: 'memory', 'in-memory': 'memory', null: 'null',
};

/** The variables read here; any other LOCK_* variable is refused. */
export const ENV_VARIABLES = [
  'LOCK_DRIVER',
  'LOCK_DSN',
  'LOCK_FILE_PATH',
  'LOCK_REDIS_URL',
  'LOCK_REDIS_PREFIX',
  'LOCK_DB_URL',
  'LOCK_DB_TABLE',
  'LOCK_PREFIX',
  'LOCK_TTL',
  'LOCK_RETRY_DELAY',
  'LOCK_MAX_WAIT',
] as const;

/** Glueful's variables lockwright cannot honour, and what to set instead. */
const REFUSED: Record<string, string> = {
  LOCK_RETRY_TIMES:
    'waitAndExecute retries every LOCK_RETRY_DELAY ms until LOCK_MAX_WAIT seconds have passed, however many attempts that takes: bound the wait with LOCK_MAX_WAIT.',
  LOCK_REDIS_CONNECTION:
    'names a Glueful connection, which lockwright cannot look up: set LOCK_REDIS_URL=redis://host:6379 (the server to use) instead.',
  LOCK_DB_CONNECTION:
    'names a Glueful connection, which lockwright cannot look up: set LOCK_DB_URL=postgres://user@host/db (or mysql://…, sqlite:///path) instead.',
};

export function configFromEnv(env: Env): LockManagerConfig {
  for (const name of Object.keys(env)) {
    if (!name.startsWith('LOCK_') || env[name] === undefined || (ENV_VARIABLES as readonly string[]).includes(name)) continue;
    throw new InvalidArgumentError(
      `${name} is set, but ${REFUSED[name] ?? `it is not a lockwright variable (known: ${ENV_VARIABLES.join(', ')}); unset it, or pass LockManager.fromEnv() an environment without it.`}`,
    );
  }
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const config: LockManagerConfig = {};
  const stores: Record<string, StoreConfig> = {};

  const driver = read('LOCK_DRIVER');
  if (driver !== undefined) {
    const name = DRIVER_NAMES[driver.toLowerCase()];
    if (!name) {
      throw new InvalidArgumentError(`LOCK_DRIVER="${driver}" is not a lock driver (use file, redis, database, semaphore, memory or null; or LOCK_DSN).`);
    }
    if (name === 'redis' && read('LOCK_REDIS_URL') === undefined) {
      // No silent fallback to a server nobody named.
      throw new InvalidArgumentError('LOCK_DRIVER=redis needs LOCK_REDIS_URL, the server to use (e.g. LOCK_REDIS_URL=redis://127.0.0.1:6379).');
    }
    if (name === 'database' && read('LOCK_DB_URL') === undefined) {
      throw new InvalidArgumentError('LOCK_DRIVER=database needs LOCK_DB_URL, the database to use (e.g. LOCK_DB_URL=postgres://app@127.0.0.1:5432/app).');
    }
    config.default = name;
  }
  const dsn = read('LOCK_DSN');
  if (dsn !== undefined) {
    if (driver !== undefined) {
      throw new InvalidArgumentError(`LOCK_DSN="${redactDsn(dsn)}" and LOCK_DRIVER="${driver}" are both set: a DSN names its store, set only one.`);
    }
    stores.dsn = { driver: 'dsn', dsn };
    config.default = 'dsn';
  }
  const path = read('LOCK_FILE_PATH');
  if (path !== undefined) stores.file = { driver: 'file', path };
  const url = read('LOCK_REDIS_URL');
  const redisPrefix = env.LOCK_REDIS_PREFIX;
  if (url !== undefined || redisPrefix !== undefined) {
    stores.redis = { driver: 'redis', ...(url !== undefined && { url }), ...(redisPrefix !== undefined && { prefix: redisPrefix }) };
  }
  const dbUrl = read('LOCK_DB_URL');
  const dbTable = read('LOCK_DB_TABLE');
  if (dbUrl !== undefined || dbTable !== undefined) {
    stores.database = { driver: 'database', ...(dbUrl !== undefined && { url: dbUrl }), ...(dbTable !== undefined && { table: dbTable }) };
  }
  if (env.LOCK_PREFIX !== undefined) config.prefix = env.LOCK_PREFIX;

  const ttl = number(read('LOCK_TTL'), 'LOCK_TTL', 'a positive number of seconds', (v) => v > 0);
  if (ttl !== undefined) {
    checkTtlBounds(ttl * 1000, 'LOCK_TTL', `"${read('LOCK_TTL')}" (seconds)`, 'LOCK_TTL is in seconds: for 30 seconds set LOCK_TTL=30.');
    config.ttl = ttl * 1000;
  }
  const delay = number(read('LOCK_RETRY_DELAY'), 'LOCK_RETRY_DELAY', 'zero or a positive number of milliseconds', (v) => v >= 0);
  const maxWait = number(read('LOCK_MAX_WAIT'), 'LOCK_MAX_WAIT', 'zero or a positive number of seconds', (v) => v >= 0);
  if (delay !== undefined || maxWait !== undefined) {
    config.retry = {
      ...(delay !== undefined && { delay }),
      ...(maxWait !== undefined && { maxWait: maxWait * 1000 }),
    };
  }
  if (Object.keys(stores).length > 0) config.stores = stores;
  return config;
}

function number(raw: string | undefined, name: string, expected: string, valid: (v: number) => boolean): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw) || !Number.isFinite(value) || !valid(value)) {
    throw new InvalidArgumentError(`${name}="${raw}" is not valid: expected ${expected}.`);
  }
  return value;
}
