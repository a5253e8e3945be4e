// LockManager.fromEnv(): Glueful's environment variables. Each keeps its documented
// unit (LOCK_TTL and LOCK_MAX_WAIT in seconds, LOCK_RETRY_DELAY in milliseconds); an
// invalid value is an error naming the variable and the value.
import { checkTtlBounds } from '../core/duration.js';
import { InvalidArgumentError } from '../core/errors.js';
import { redactDsn } from '../stores/dsn.js';
import type { LockManagerConfig, StoreConfig } from './config.js';

export type Env = Record<string, string | undefined>;

const DRIVER_NAMES: Record<string, string> = {
  file: 'file', flock: 'file', semaphore: 'semaphore', redis: 'redis', memory: 'memory', 'in-memory': 'memory', null: 'null',
};

export function configFromEnv(env: Env): LockManagerConfig {
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
      throw new InvalidArgumentError(`LOCK_DRIVER="${driver}" is not a lock driver (use file, redis, semaphore, memory or null).`);
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
  if (env.LOCK_PREFIX !== undefined) config.prefix = env.LOCK_PREFIX;

  const ttl = number(read('LOCK_TTL'), 'LOCK_TTL', 'a positive number of seconds', (v) => v > 0);
  if (ttl !== undefined) {
    checkTtlBounds(ttl * 1000, 'LOCK_TTL', `"${read('LOCK_TTL')}" (seconds)`, 'LOCK_TTL is in seconds: for 30 seconds set LOCK_TTL=30.');
    config.ttl = ttl * 1000;
  }
  const times = number(read('LOCK_RETRY_TIMES'), 'LOCK_RETRY_TIMES', 'a whole number, zero or more', (v) => Number.isInteger(v) && v >= 0);
  const delay = number(read('LOCK_RETRY_DELAY'), 'LOCK_RETRY_DELAY', 'zero or a positive number of milliseconds', (v) => v >= 0);
  const maxWait = number(read('LOCK_MAX_WAIT'), 'LOCK_MAX_WAIT', 'zero or a positive number of seconds', (v) => v >= 0);
  if (times !== undefined || delay !== undefined || maxWait !== undefined) {
    config.retry = {
      ...(times !== undefined && { times }),
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
