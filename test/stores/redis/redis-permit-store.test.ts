// RedisPermitStore on a real redis-server: the permit-store conformance suite, Symfony's
// data layout (two sorted sets, whole-second expiries), DSNs and options, keys that
// travel, and a server that goes away mid-hold.
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  InvalidTtlError,
  LockStorageError,
  RedisPermitStore,
  SemaphoreAcquiringError,
  SemaphoreExpiredError,
  SemaphoreReleasingError,
  SemaphoreFactory,
  SemaphoreKey,
  createPermitStore,
} from '../../../src/index.js';
import { runPermitConformance } from '../../conformance/permits.js';
import { RedisServer, eventually, ready } from '../../helpers/redis-server.js';

const server = await RedisServer.start();
const client = await ready(server.client());
const admin = await ready(server.client());

runPermitConformance({
  name: 'RedisPermitStore',
  makeStore: () => new RedisPermitStore(client, { pollInterval: 200 }),
  expect: { blocking: true, expiring: true },
  granularity: 1_000,
});

const nowSeconds = async () => Number((await admin.time())[0]);

describe('RedisPermitStore data layout (Symfony Semaphore RedisStore)', () => {
  it('keeps {resource}:weight and {resource}:time sorted sets, expiring 10 s after the last holder', async () => {
    const store = new RedisPermitStore(client);
    const a = new SemaphoreKey('layout', 5, 2);
    const b = new SemaphoreKey('layout', 5, 3);
    await store.save(a, 30_000);
    await store.save(b, 60_000);
    const token = (key: SemaphoreKey) => key.getState<string>('lockwright:redis-permits:token');
    expect(token(a)).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const weights = await admin.zrange('{layout}:weight', 0, -1, 'WITHSCORES');
    expect(Object.fromEntries([[weights[0], weights[1]], [weights[2], weights[3]]])).toEqual({ [token(a)]: '2', [token(b)]: '3' });
    const now = await nowSeconds();
    // Whole seconds from now, rounded up: at least the TTL, at most 1 s more.
    const expiryA = Number(await admin.zscore('{layout}:time', token(a)));
    const expiryB = Number(await admin.zscore('{layout}:time', token(b)));
    expect(Number.isInteger(expiryA)).toBe(true);
    expect(expiryA - now).toBeGreaterThanOrEqual(30);
    expect(expiryA - now).toBeLessThanOrEqual(31);
    expect(expiryB - now).toBeGreaterThanOrEqual(60);
    expect(await admin.expiretime('{layout}:weight')).toBe(expiryB + 10);
    expect(await admin.expiretime('{layout}:time')).toBe(expiryB + 10);
    await store.delete(b);
    await store.delete(a);
    expect(await admin.exists('{layout}:weight', '{layout}:time')).toBe(0);
  });

  it('rounds a sub-second TTL up to a whole second, and refreshes by whole seconds too', async () => {
    const store = new RedisPermitStore(client);
    const key = new SemaphoreKey('rounding', 1);
    await store.save(key, 1_500);
    const token = key.getState<string>('lockwright:redis-permits:token');
    const now = await nowSeconds();
    const first = Number(await admin.zscore('{rounding}:time', token));
    expect(first - now).toBeGreaterThanOrEqual(1);
    expect(first - now).toBeLessThanOrEqual(3);
    await store.putOffExpiration(key, 120_000);
    const later = Number(await admin.zscore('{rounding}:time', token));
    expect(later - (await nowSeconds())).toBeGreaterThanOrEqual(119);
    expect(await admin.expiretime('{rounding}:time')).toBe(later + 10);
    await store.delete(key);
  });

  it('saving a held key again moves its expiry to the new TTL (Lock counts from that request)', async () => {
    const store = new RedisPermitStore(client);
    const key = new SemaphoreKey('save-again', 2);
    await store.save(key, 10_000);
    await store.save(key, 120_000);
    const token = key.getState<string>('lockwright:redis-permits:token');
    expect(Number(await admin.zscore('{save-again}:time', token)) - (await nowSeconds())).toBeGreaterThanOrEqual(119);
    expect(await admin.zcard('{save-again}:weight')).toBe(1);
    await store.delete(key);
  });

  it('gives a refused weight set its expiry back (Symfony\'s ZINTERSTORE drops it)', async () => {
    const store = new RedisPermitStore(client);
    const holder = new SemaphoreKey('refused-expiry', 1);
    await store.save(holder, 30_000);
    await expect(store.save(new SemaphoreKey('refused-expiry', 1), 30_000)).rejects.toThrow(/fewer than 1 of its 1 permits free/);
    expect(await admin.ttl('{refused-expiry}:weight')).toBeGreaterThan(30);
    await store.delete(holder);
  });

  it('a null TTL means initialTtl (default 300 s)', async () => {
    const key = new SemaphoreKey('initial-ttl', 1);
    await new RedisPermitStore(client).save(key, null);
    const token = key.getState<string>('lockwright:redis-permits:token');
    expect(Number(await admin.zscore('{initial-ttl}:time', token)) - (await nowSeconds())).toBeGreaterThanOrEqual(299);
    expect(key.getRemainingLifetime()).toBeGreaterThan(290_000);
    await new RedisPermitStore(client).delete(key);

    const short = new SemaphoreKey('initial-ttl', 1);
    await new RedisPermitStore(client, { initialTtl: '20s' }).save(short, null);
    const shortToken = short.getState<string>('lockwright:redis-permits:token');
    expect(Number(await admin.zscore('{initial-ttl}:time', shortToken)) - (await nowSeconds())).toBeLessThanOrEqual(21);
    await new RedisPermitStore(client).delete(short);
  });

  it('counts a member whose expiry passed as free, and exists() reports it expired', async () => {
    const store = new RedisPermitStore(client);
    const key = new SemaphoreKey('stale', 1);
    await store.save(key, 60_000);
    const token = key.getState<string>('lockwright:redis-permits:token');
    // As a holder whose time ran out looks before anyone purged it.
    await admin.zadd('{stale}:time', (await nowSeconds()) - 1, token);
    expect(await store.exists(key)).toBe(false);
    const next = new SemaphoreKey('stale', 1);
    await store.save(next, 60_000);
    expect(await admin.zscore('{stale}:weight', token)).toBeNull();
    await store.delete(next);
  });
});

describe('RedisPermitStore scripts', () => {
  it('runs them by SHA (EVALSHA), and sends them again after SCRIPT FLUSH', async () => {
    const store = new RedisPermitStore(client);
    const key = new SemaphoreKey('evalsha', 1);
    await store.save(key, 10_000);
    await store.delete(key);
    await admin.script('FLUSH');
    await admin.config('RESETSTAT');
    await store.save(key, 10_000);
    expect(await store.exists(key)).toBe(true);
    await store.delete(key);
    await store.save(key, 10_000);
    await store.delete(key);
    const stats = await admin.info('commandstats');
    const calls = (name: string) => Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
    // Each script's first run after the flush sent its source once; every run went by SHA first.
    expect(calls('evalsha')).toBe(5);
    expect(calls('eval')).toBe(3);
  });
});

describe('RedisPermitStore keys travel', () => {
  it('a key rebuilt from JSON holds the same permits: refresh and release them', async () => {
    const factory = new SemaphoreFactory(new RedisPermitStore(client));
    const semaphore = factory.createSemaphore('travel', 1, { ttl: 30_000, autoRelease: false });
    expect(await semaphore.acquire()).toBe(true);
    const key = SemaphoreKey.fromJSON(JSON.stringify(semaphore.key));
    const adopted = new SemaphoreFactory(new RedisPermitStore(client)).createSemaphoreFromKey(key, { ttl: 60_000, autoRelease: false });
    await adopted.refresh();
    expect(await adopted.isAcquired()).toBe(true);
    expect(await factory.createSemaphore('travel', 1).acquire()).toBe(false);
    await adopted.release();
    expect(await semaphore.isAcquired()).toBe(false);
  });

  it('refuses a token it did not issue, before any command, without showing it', async () => {
    const key = SemaphoreKey.fromJSON({ v: 1, resource: 'forged', limit: 1, weight: 1, expiresAt: null, state: { 'lockwright:redis-permits:token': 'secret-token' } } as never);
    const store = new RedisPermitStore(client);
    for (const call of [() => store.save(key, 1_000), () => store.delete(key), () => store.exists(key)]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(/did not issue \(expected 44 base64 characters.*a string of 12 characters\)/);
      expect((error as Error).message).not.toContain('secret-token');
    }
    expect(await admin.exists('{forged}:weight')).toBe(0);
  });
});

describe('RedisPermitStore options and DSNs', () => {
  it('refuses bad options, naming them', () => {
    expect(() => new RedisPermitStore({} as never)).toThrow(/needs an ioredis client/);
    expect(() => new RedisPermitStore(client, { pollIntervall: 5 } as never)).toThrow(/Unknown RedisPermitStore option\(s\) "pollIntervall" \(known: initialTtl, pollInterval\)/);
    expect(() => new RedisPermitStore(client, { initialTtl: '30' })).toThrow(InvalidTtlError);
    expect(() => new RedisPermitStore(client, { pollInterval: -1 })).toThrow(/pollInterval must be a positive/);
  });

  it('refuses a TTL that is not a positive number of ms', async () => {
    const store = new RedisPermitStore(client);
    await expect(store.save(new SemaphoreKey('bad-ttl', 1), 0)).rejects.toBeInstanceOf(InvalidTtlError);
    await expect(store.putOffExpiration(new SemaphoreKey('bad-ttl', 1), Number.NaN)).rejects.toBeInstanceOf(InvalidTtlError);
  });

  it('createPermitStore() takes redis:// DSNs (with initial_ttl) and ioredis clients', async () => {
    const owned = createPermitStore(`${server.url}/0?initial_ttl=45000`);
    expect(owned).toBeInstanceOf(RedisPermitStore);
    const key = new SemaphoreKey('dsn', 1);
    await owned.save(key, null);
    const token = key.getState<string>('lockwright:redis-permits:token');
    expect(Number(await admin.zscore('{dsn}:time', token)) - (await nowSeconds())).toBeLessThanOrEqual(46);
    await owned.delete(key);
    await owned.close?.();
    expect(createPermitStore(client)).toBeInstanceOf(RedisPermitStore);
    expect(() => createPermitStore('redis://:hunter2@127.0.0.1/0?nope=1')).toThrow(/unknown option "nope"/);
    expect(() => createPermitStore('redis://:hunter2@127.0.0.1/0?nope=1')).not.toThrow(/hunter2/);
    expect(() => createPermitStore('nope://x')).toThrow(/\(expected semaphore, semaphore:\/\/namespace, lock\+<lock store DSN> \(e\.g\. lock\+flock, lock\+postgres:\/\/…\), redis:\/\/… or rediss:\/\/…\)/);
  });
});

describe('RedisPermitStore when the server goes away', () => {
  it('fails with typed errors while the server is down, and works again once it is back', async () => {
    const own = await RedisServer.start();
    const ownClient = await ready(own.client());
    const factory = new SemaphoreFactory(new RedisPermitStore(ownClient, { pollInterval: 100 }));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const held = factory.createSemaphore('down', 2, { ttl: 60_000 });
    expect(await held.acquire()).toBe(true);
    // Refreshed every third of its 1.5 s TTL: the refreshes fail while the server is down.
    const refreshed = factory.createSemaphore('down-refreshed', 1, { ttl: 1_500, autoRefresh: true });
    expect(await refreshed.acquire()).toBe(true);
    const signal = refreshed.signal;
    const lost = new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
    const waiter = factory.createSemaphore('down', 2, { weight: 2 });
    const waiting = waiter.acquire({ timeout: 3_000 }).then(
      (held) => ({ held }),
      (error: unknown) => ({ error }),
    );
    await own.stop();
    const storage = (error: unknown, action: string) => {
      expect((error as Error).cause).toBeInstanceOf(LockStorageError);
      expect(((error as Error).cause as Error).message).toMatch(new RegExp(`^Redis failed to ${action} the "down" semaphore`));
    };
    const refresh = await held.refresh().catch((e: unknown) => e);
    expect(refresh).toBeInstanceOf(SemaphoreAcquiringError);
    storage(refresh, 'refresh');
    // The auto-refreshed semaphore reports the loss on its signal, not as an unhandled rejection.
    // (A refresh that cannot reach the server leaves the permits to expire: the local expiry ends the holding.)
    expect(await lost).toBeInstanceOf(SemaphoreExpiredError);
    expect(refreshed.isExpired()).toBe(true);
    const acquired = await factory.createSemaphore('down', 2).acquire().catch((e: unknown) => e);
    expect(acquired).toBeInstanceOf(SemaphoreAcquiringError);
    storage(acquired, 'acquire');
    // The wait waits through the outage and ends at its timeout with the failure it saw.
    const outcome = await waiting;
    expect('error' in outcome).toBe(true);
    expect((outcome as { error: Error }).error).toBeInstanceOf(SemaphoreAcquiringError);
    storage((outcome as { error: Error }).error, 'acquire');
    const released = await held.release().catch((e: unknown) => e);
    expect(released).toBeInstanceOf(SemaphoreReleasingError);
    storage(released, 'release');
    await own.restart();
    // Nothing is saved across the restart: the permits are all free again.
    await eventually(async () => {
      const again = factory.createSemaphore('down', 2, { weight: 2 });
      if (!(await again.acquire())) throw new Error('not granted');
      await again.release();
    });
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });
});

describe('SemaphoreExpiredError', () => {
  it('putOffExpiration of a key whose permits were released names it', async () => {
    const store = new RedisPermitStore(client);
    const key = new SemaphoreKey('released', 1);
    await store.save(key, 10_000);
    await store.delete(key);
    await expect(store.putOffExpiration(key, 10_000)).rejects.toThrow(SemaphoreExpiredError);
    await expect(store.putOffExpiration(key, 10_000)).rejects.toThrow(/has expired: its permits were released or expired/);
  });
});
