// Durations (issue 9, item 11): one parser for every duration of the API, milliseconds or
// strings with a unit; TTL bounds every store can keep; errors that show the unit and a
// correct example. Also the resource names every store would merge (item 10).
import { describe, expect, it } from 'vitest';
import {
  InMemoryStore,
  InvalidArgumentError,
  InvalidTtlError,
  Key,
  LockFactory,
  LockManager,
  MAX_TTL_MS,
  MIN_TTL_MS,
  formatDuration,
  parseDuration,
} from '../../src/index.js';
import { configFromEnv } from '../../src/manager/env.js';

describe('parseDuration', () => {
  it.each([
    [250, 250],
    ['250ms', 250],
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['15m', 900_000],
    ['1h', 3_600_000],
    [' 2 h ', 7_200_000],
    [0, 0],
  ])('reads %j as %d ms', (input, ms) => {
    expect(parseDuration(input, 'x')).toBe(ms);
  });

  it.each([['30', /'30s' for seconds, or the number 30 for milliseconds/], ['30 sec', /"30 sec"/], ['-1s', /"-1s"/], [-1, /got -1/], [Number.NaN, /NaN/], [Infinity, /Infinity/], [{}, /an object/]])(
    'refuses %j naming the option and an example',
    (input, message) => {
      expect(() => parseDuration(input, 'options.timeout')).toThrow(InvalidArgumentError);
      expect(() => parseDuration(input, 'options.timeout')).toThrow(/options\.timeout must be a duration.*'30s'/);
      expect(() => parseDuration(input, 'options.timeout')).toThrow(message);
    },
  );

  it('formats with the unit, losslessly', () => {
    expect([formatDuration(250), formatDuration(30_000), formatDuration(900_000), formatDuration(3_600_000), formatDuration(1_500)]).toEqual([
      '250 ms',
      '30 s',
      '15 min',
      '1 h',
      '1500 ms',
    ]);
  });
});

describe('durations across the API', () => {
  it('takes unit strings for a lock TTL, refresh(), acquire timeouts and InMemoryStore initialTtl', async () => {
    const store = new InMemoryStore({ initialTtl: '10m' });
    const factory = new LockFactory(store);
    const lock = factory.createLock('units', { ttl: '30s' });
    expect(await lock.acquire()).toBe(true);
    expect(lock.getRemainingLifetime()!).toBeGreaterThan(25_000);
    expect(lock.getRemainingLifetime()!).toBeLessThanOrEqual(30_000);
    await lock.refresh('2h');
    expect(lock.getRemainingLifetime()!).toBeGreaterThan(7_000_000);
    expect(await factory.createLock('units').acquire({ timeout: '50ms' })).toBe(false);
    await lock.release();
    // initialTtl '10m': a bare save lives ten minutes.
    const key = new Key('initial');
    await store.save(key);
    expect(key.getRemainingLifetime()!).toBeGreaterThan(590_000);
  });

  it('takes unit strings in the LockManager config and per call, and says the unit when a wait fails', async () => {
    const store = new InMemoryStore();
    const m = new LockManager({ default: 'x', stores: { x: { driver: 'custom', store } }, ttl: '30s', retry: { delay: '20ms', maxWait: '1s' }, metrics: false });
    expect(m.config.ttl).toBe(30_000);
    expect(m.config.retry).toMatchObject({ delay: 20, maxWait: 1_000 });
    const holder = m.createLock('busy');
    await holder.acquire();
    expect(holder.getRemainingLifetime()!).toBeGreaterThan(25_000);
    await expect(m.waitAndExecute('busy', () => 1, { maxWait: '100ms', ttl: '1m' })).rejects.toThrow('within 100 ms');
    await expect(m.waitAndExecute('busy', () => 1, { maxWait: '0.2s' })).rejects.toThrow('within 200 ms');
    await holder.release();
    expect(await m.executeWithLock('busy', (signal) => !signal.aborted, { ttl: '1m' })).toBe(true);
  });

  it('refuses a TTL below the minimum, suggesting the unit a Symfony user meant', () => {
    const factory = new LockFactory(new InMemoryStore());
    for (const ttl of [1e-9, 5, '5ms', 0.03]) {
      expect(() => factory.createLock('short', { ttl })).toThrow(InvalidTtlError);
      expect(() => factory.createLock('short', { ttl })).toThrow(/options\.ttl is .*: a TTL must be at least 10 ms.*'30s'/);
    }
    expect(() => factory.createLock('zero', { ttl: 0 })).toThrow(InvalidTtlError);
    expect(() => factory.createLock('ok', { ttl: MIN_TTL_MS })).not.toThrow();
    expect(() => new InMemoryStore({ initialTtl: 1 })).toThrow(/InMemoryStore options\.initialTtl is 1, 1 ms/);
  });

  it('refuses a TTL above what every store can keep, naming the value', async () => {
    const factory = new LockFactory(new InMemoryStore());
    expect(() => factory.createLock('long', { ttl: MAX_TTL_MS })).not.toThrow();
    for (const ttl of [MAX_TTL_MS + 1, 1e17, '99999999999999h']) {
      expect(() => factory.createLock('long', { ttl })).toThrow(InvalidTtlError);
      expect(() => factory.createLock('long', { ttl })).toThrow(/at most 365 days .*ttl: null.*'1h'/);
    }
    const lock = factory.createLock('long-refresh', { ttl: '1m' });
    await lock.acquire();
    await expect(lock.refresh(1e17)).rejects.toThrow(/refresh\(ttl\) is 100000000000000000/);
    await expect(lock.refresh('0ms')).rejects.toThrow(InvalidTtlError);
    expect(lock.signal.aborted).toBe(false);
    await lock.release();
  });

  it('refuses LOCK_TTL=1e-300 and other TTLs out of bounds, naming the variable and its unit', () => {
    expect(() => configFromEnv({ LOCK_TTL: '1e-300' })).toThrow(InvalidTtlError);
    expect(() => configFromEnv({ LOCK_TTL: '1e-300' })).toThrow(/LOCK_TTL is "1e-300" \(seconds\).*set LOCK_TTL=30/);
    expect(() => configFromEnv({ LOCK_TTL: '0.001' })).toThrow(/LOCK_TTL/);
    expect(() => configFromEnv({ LOCK_TTL: '1e12' })).toThrow(/LOCK_TTL .*at most 365 days/);
    expect(configFromEnv({ LOCK_TTL: '0.5' }).ttl).toBe(500);
  });
});

describe('resource names', () => {
  it.each(['\uD800', '\uDFFF', 'job-\uD83D', 'a\uDE00b'])('refuses %j, a lone surrogate every store turns into U+FFFD', (name) => {
    expect(() => new Key(name)).toThrow(InvalidArgumentError);
    expect(() => new Key(name)).toThrow(/lone surrogate/);
    expect(() => Key.fromJSON({ v: 1, resource: name, expiresAt: null, state: {} })).toThrow(/lone surrogate/);
  });

  it('accepts U+FFFD itself and paired surrogates (emoji)', () => {
    expect(new Key('\uFFFD').resource).toBe('\uFFFD');
    expect(new Key('job-😀').resource).toBe('job-😀');
  });
});
