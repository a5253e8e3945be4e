// A TTL the scripts cannot represent (1e17 ms turns into the score 1e+17, which
// PEXPIREAT refuses) must be refused before any write: no key may stay in Redis
// without an expiry and without an owner who knows about it.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidTtlError, Key, LockFactory, RedisStore } from '../../../src/index.js';
import { evaluate, fencingKey, scriptKeys } from '../../../src/stores/redis/client.js';
import { MAX_TTL_MS, PUT_OFF, SAVE } from '../../../src/stores/redis/scripts.js';
import { RedisServer, ready } from '../../helpers/redis-server.js';

const server = await RedisServer.start();
const client = await ready(server.client());
const admin = await ready(server.client());

/** The KEYS a script takes for the resource "script-ttl". */
const keysOf = (script: Parameters<typeof scriptKeys>[0]) => scriptKeys(script, 'script-ttl');

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error as Error,
  );
}

/** Every key in the server that has no expiry. */
async function keysWithoutExpiry(): Promise<string[]> {
  const keys = await admin.keys('*');
  const eternal: string[] = [];
  for (const key of keys) if ((await admin.pttl(key)) === -1) eternal.push(key);
  return eternal;
}

describe('RedisStore TTL limits', () => {
  it('refuses a TTL of 1e17 ms with a typed error, leaving no key behind', async () => {
    const factory = new LockFactory(new RedisStore(client));
    for (const ttl of [1e17, 99999999999999 * 3_600_000, MAX_TTL_MS + 1]) {
      // Lock refuses it when the lock is made (core's bound: 365 days); the store's own
      // check (below, and with initialTtl) is the second line for callers without Lock.
      expect(() => factory.createLock('huge-ttl', { ttl })).toThrow(InvalidTtlError);
      const key = new Key('huge-ttl');
      const error = await rejection(new RedisStore(client, { initialTtl: 30_000 }).putOffExpiration(key, ttl));
      expect(error instanceof InvalidTtlError || error.cause instanceof InvalidTtlError).toBe(true);
      expect(await admin.exists('huge-ttl')).toBe(0);
      expect(await keysWithoutExpiry()).toEqual([]);
    }
    expect(() => new RedisStore(client, { initialTtl: 1e17 })).toThrow(InvalidTtlError);
    expect(() => new RedisStore(client, { initialTtl: 1e17 })).toThrow(/at most 365 days/);
  });

  it('refuses it on refresh too, and the lock keeps its expiry', async () => {
    const store = new RedisStore(client, { initialTtl: 30_000 });
    const key = new Key('huge-refresh');
    await store.save(key);
    await expect(store.putOffExpiration(key, 1e17)).rejects.toBeInstanceOf(InvalidTtlError);
    const pttl = await admin.pttl('huge-refresh');
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(30_000);
    await store.delete(key);
  });

  it('has scripts that check the TTL themselves, before any write', async () => {
    const token = randomBytes(16).toString('base64url');
    for (const ttl of [1e17, '1e17', 1.5, 0, -5, 'abc', MAX_TTL_MS + 1]) {
      const save = await rejection(evaluate(client, SAVE, [...keysOf(SAVE), '1', Date.now(), token, ttl]));
      expect(save.message).toMatch(/ttl must be a whole number of ms/);
      expect(await admin.exists('script-ttl', fencingKey('script-ttl'))).toBe(0);
    }
    // The longest TTL allowed gives an exact, whole expiry.
    expect(await evaluate(client, SAVE, [...keysOf(SAVE), '1', Date.now(), token, MAX_TTL_MS])).toEqual([1, expect.anything()]);
    const [, score] = await admin.zrange('script-ttl', 0, 0, 'WITHSCORES');
    expect(score).toMatch(/^\d+$/);
    expect(await admin.pexpiretime('script-ttl')).toBe(Number(score));
    const refresh = await rejection(evaluate(client, PUT_OFF, [...keysOf(PUT_OFF), '1', Date.now(), token, 1e17]));
    expect(refresh.message).toMatch(/ttl must be a whole number of ms/);
    expect(await admin.pexpiretime('script-ttl')).toBe(Number(score));
    await admin.del('script-ttl', fencingKey('script-ttl'));
  });
});
