// A key rebuilt by Key.fromJSON() carries whatever its JSON says. A forged owner token
// (above all "__write__", the write flag's own member) must not take a held lock, get
// its holder's fencing token, or strip the write flag so that a reader gets in.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Key, LockFactory, RedisStore } from '../../../src/index.js';
import { evaluate, scriptKeys } from '../../../src/stores/redis/client.js';
import { DELETE } from '../../../src/stores/redis/scripts.js';
import { RedisServer, ready } from '../../helpers/redis-server.js';

const server = await RedisServer.start();
const client = await ready(server.client());
const admin = await ready(server.client());
const TOKEN = 'lockwright:redis:token';

function forgedKey(resource: string, token: unknown): Key {
  return Key.fromJSON({ v: 1, resource, expiresAt: null, state: { [TOKEN]: token } });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('RedisStore refuses owner tokens it could not have issued', () => {
  it.each([['__write__'], [''], ['short'], ['a'.repeat(22) + '='], ['!'.repeat(22)], [42], [{ token: 'x' }]])(
    'refuses %j before any command, and the held lock stays intact',
    async (token) => {
      const resource = `forged-${typeof token}-${String(token).length}`;
      const store = new RedisStore(client);
      const factory = new LockFactory(store);
      const holder = factory.createLock(resource, { ttl: 60_000 });
      expect(await holder.acquire()).toBe(true);
      const fence = holder.fencingToken;
      const before = await admin.zrange(resource, 0, -1);
      expect(before).toContain('__write__');

      const forged = forgedKey(resource, token);
      for (const call of [
        () => store.save(forged),
        () => store.saveRead(forged),
        () => store.waitAndSave(forged, { timeout: 0 }),
        () => store.putOffExpiration(forged, 1_000),
        () => store.exists(forged),
        () => store.delete(forged),
      ]) {
        const error = (await rejection(call())) as Error;
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect(error.message).toMatch(/did not issue/);
        if (typeof token === 'string' && token.length > 0) expect(error.message).not.toContain(token);
      }

      // Through a Lock: no acquisition, no fencing token, no release of the holder.
      const thief = factory.createLockFromKey(forged, { autoRelease: false });
      const stolen = (await rejection(thief.acquire())) as Error;
      expect(stolen.cause ?? stolen).toBeInstanceOf(InvalidArgumentError);
      expect(thief.fencingToken).toBeUndefined();
      await thief.release().catch(() => {});

      // The holder still holds, with its write flag: a reader stays out.
      expect(await admin.zrange(resource, 0, -1)).toEqual(before);
      expect(await holder.isAcquired()).toBe(true);
      expect(holder.fencingToken).toBe(fence);
      expect(await factory.createLock(resource).acquireRead()).toBe(false);
      await holder.release();
      expect(await admin.exists(resource)).toBe(0);
    },
  );

  it('refuses "__write__" in the scripts too, for callers that bypass the store', async () => {
    const store = new RedisStore(client);
    const holder = new Key('forged-script');
    await store.save(holder);
    const error = (await rejection(evaluate(client, DELETE, [...scriptKeys(DELETE, 'forged-script'), '1', Date.now(), '__write__', '1']))) as Error;
    expect(error.message).toMatch(/did not issue/);
    expect(await admin.zrange('forged-script', 0, -1)).toContain('__write__');
    await store.delete(holder);
  });

  it('still takes the tokens it issued, from a key that travelled', async () => {
    const store = new RedisStore(client);
    const lock = new LockFactory(store).createLock('forged-genuine', { ttl: 60_000 });
    await lock.acquire();
    const received = new LockFactory(store).createLockFromKey(Key.fromJSON(JSON.stringify(lock.key)), { autoRelease: false });
    await received.refresh();
    expect(received.fencingToken).toBe(lock.fencingToken);
    await received.release();
    expect(await admin.exists('forged-genuine')).toBe(0);
  });
});
