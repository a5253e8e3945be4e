import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/index.js';
import { resolveConfig } from '../../src/manager/config.js';
import { configFromEnv } from '../../src/manager/env.js';

describe('LockManager configuration', () => {
  it('fills Glueful-like defaults, in milliseconds', () => {
    const config = resolveConfig();
    expect(config).toMatchObject({ default: 'file', prefix: 'lockwright:', ttl: 300_000, retry: { delay: 100, maxWait: 10_000 }, metrics: true });
    expect(Object.keys(config.stores).sort()).toEqual(['database', 'file', 'memory', 'null', 'redis', 'semaphore']);
  });

  it('keeps the driver of a built-in store given only some options', () => {
    expect(resolveConfig({ stores: { file: { path: '/srv/locks' } as never } }).stores.file).toEqual({ driver: 'file', path: '/srv/locks' });
  });

  it.each([
    [{ default: 'nowhere' }, /"default" must name one of the stores/],
    [{ ttl: 0 }, /"ttl" is 0, 0 ms: a TTL must be at least 10 ms/],
    [{ ttl: Number.NaN }, /"ttl"/],
    [{ retry: { delay: -1 } }, /"retry.delay"/],
    [{ retry: { times: 3 } }, /"retry": unknown option "times" \(known: delay, maxWait\)\. waitAndExecute retries every retry\.delay until retry\.maxWait/],
    [{ retry: { maxWait: Infinity } }, /"retry.maxWait"/],
    [{ prefix: 5 }, /"prefix" must be a string/],
    [{ stores: { x: { driver: 'mongo' } } }, /Store "x": unknown driver "mongo"/],
  ])('rejects %j with an error naming the option', (config, message) => {
    expect(() => resolveConfig(config as never)).toThrow(InvalidArgumentError);
    expect(() => resolveConfig(config as never)).toThrow(message);
  });
});

describe('configuration from the environment', () => {
  it('never falls back to a Redis server nobody named', () => {
    expect(() => resolveConfig({ default: 'redis' })).toThrow(/Store "redis" \(the default\) has driver redis but no "url"/);
    expect(() => resolveConfig(configFromEnv({ LOCK_DRIVER: 'redis' }))).toThrow(/LOCK_REDIS_URL/);
    // An unused built-in redis store without a URL is fine: nothing connects.
    expect(resolveConfig({ default: 'memory' }).stores.redis).toEqual({ driver: 'redis' });
  });

  it('never stacks LOCK_PREFIX and LOCK_REDIS_PREFIX', async () => {
    const { LockManager } = await import('../../src/manager/lock-manager.js');
    const env = { LOCK_DRIVER: 'redis', LOCK_REDIS_URL: 'redis://127.0.0.1:6379', LOCK_PREFIX: 'glueful_lock_', LOCK_REDIS_PREFIX: 'glueful_lock_' };
    const m = LockManager.fromEnv(env, { metrics: false });
    expect(m.resourceFor('x')).toBe('glueful_lock_x');
    expect(LockManager.fromEnv({ ...env, LOCK_REDIS_PREFIX: 'r:' }, { metrics: false }).resourceFor('x')).toBe('r:x');
    expect(LockManager.fromEnv({ ...env, LOCK_REDIS_PREFIX: undefined }, { metrics: false }).resourceFor('x')).toBe('glueful_lock_x');
  });

  it('honours every documented variable, each in its own unit', () => {
    const config = resolveConfig(
      configFromEnv({
        LOCK_DRIVER: 'redis',
        LOCK_FILE_PATH: '/var/lock/app',
        LOCK_REDIS_URL: 'redis://cache:6380/2',
        LOCK_REDIS_PREFIX: 'app:',
        LOCK_PREFIX: 'jobs:',
        LOCK_TTL: '90',
        LOCK_RETRY_DELAY: '250',
        LOCK_MAX_WAIT: '2.5',
      }),
    );
    expect(config.default).toBe('redis');
    expect(config.stores.file).toEqual({ driver: 'file', path: '/var/lock/app' });
    expect(config.stores.redis).toEqual({ driver: 'redis', url: 'redis://cache:6380/2', prefix: 'app:' });
    expect(config.prefix).toBe('jobs:');
    expect(config.ttl).toBe(90_000);
    expect(config.retry).toEqual({ delay: 250, maxWait: 2_500 });
  });

  it('takes LOCK_DSN as the store, and an empty LOCK_PREFIX as no prefix', () => {
    const config = resolveConfig(configFromEnv({ LOCK_DSN: 'flock:///tmp/x', LOCK_PREFIX: '' }));
    expect(config.default).toBe('dsn');
    expect(config.stores.dsn).toEqual({ driver: 'dsn', dsn: 'flock:///tmp/x' });
    expect(config.prefix).toBe('');
  });

  it.each([
    [{ LOCK_DRIVER: 'mongo' }, 'LOCK_DRIVER="mongo" is not a lock driver'],
    [{ LOCK_TTL: 'abc' }, 'LOCK_TTL="abc" is not valid: expected a positive number of seconds'],
    [{ LOCK_TTL: '0' }, 'LOCK_TTL="0"'],
    [{ LOCK_TTL: '-5' }, 'LOCK_TTL="-5"'],
    [{ LOCK_TTL: '1e999' }, 'LOCK_TTL="1e999"'],
    [{ LOCK_RETRY_TIMES: '3' }, 'LOCK_RETRY_TIMES is set, but waitAndExecute retries every LOCK_RETRY_DELAY ms until LOCK_MAX_WAIT'],
    [{ LOCK_RETRY_DELAY: '-1' }, 'LOCK_RETRY_DELAY="-1" is not valid: expected zero or a positive number of milliseconds'],
    [{ LOCK_RETRY_DELAY: '100ms' }, 'LOCK_RETRY_DELAY="100ms"'],
    [{ LOCK_MAX_WAIT: 'soon' }, 'LOCK_MAX_WAIT="soon" is not valid: expected zero or a positive number of seconds'],
    [{ LOCK_DRIVER: 'file', LOCK_DSN: 'redis://:secret@h:6379' }, 'LOCK_DSN="redis://:***@h:6379" and LOCK_DRIVER="file" are both set'],
    [{ LOCK_DRIVER: 'redis' }, 'LOCK_DRIVER=redis needs LOCK_REDIS_URL'],
    [{ LOCK_DRIVER: 'redis', LOCK_REDIS_CONNECTION: 'default' }, 'LOCK_REDIS_CONNECTION is set, but names a Glueful connection'],
    [{ LOCK_REDIS_CONNECTION: 'cache' }, 'set LOCK_REDIS_URL=redis://host:6379'],
    [{ LOCK_DB_CONNECTION: 'main' }, 'LOCK_DB_CONNECTION is set, but names a Glueful connection'],
    [{ LOCK_TIMEOUT: '5' }, 'LOCK_TIMEOUT is set, but it is not a lockwright variable (known: LOCK_DRIVER,'],
    [{ LOCK_DRIVER: 'database' }, 'LOCK_DRIVER=database needs LOCK_DB_URL'],
    [{ LOCK_DRIVER: 'mongodb' }, 'LOCK_DRIVER="mongodb" is not a lock driver'],
  ])('rejects %j naming the variable and the value', (env, message) => {
    expect(() => configFromEnv(env)).toThrow(InvalidArgumentError);
    expect(() => configFromEnv(env)).toThrow(message);
  });
});
