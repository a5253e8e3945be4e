// Errors of RedisStore carry the client's error as their cause, but never the owner
// token: ioredis attaches the command's arguments (the token among them) to its
// ReplyError, and error causes end up in logs.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Key, LockAcquiringError, LockFactory, LockStorageError, RedisStore } from '../../../src/index.js';
import { RedisServer, ready } from '../../helpers/redis-server.js';

const server = await RedisServer.start();
const client = await ready(server.client());
const admin = await ready(server.client());
const TOKEN = 'lockwright:redis:token';

/** Everything a logger could print about `error`: its causes, own properties, stacks. */
function everything(error: unknown): string {
  return inspect(error, { depth: 20, showHidden: true }) + JSON.stringify(error, Object.getOwnPropertyNames(error ?? {}));
}

describe('RedisStore error causes', () => {
  it('keep the reply error but not the owner token, for every script', async () => {
    // A key of another type makes the scripts fail with WRONGTYPE, after the token was sent.
    await admin.hset('wrong-type', 'field', 'value');
    const store = new RedisStore(client);
    const key = new Key('wrong-type');
    const save = (await store.save(key).catch((e: unknown) => e)) as Error;
    const token = key.getState<string>(TOKEN);
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const failures = [
      save,
      (await store.saveRead(key).catch((e: unknown) => e)) as Error,
      (await store.exists(key).catch((e: unknown) => e)) as Error,
      (await store.delete(key).catch((e: unknown) => e)) as Error,
      (await store.putOffExpiration(key, 1_000).catch((e: unknown) => e)) as Error,
    ];
    for (const error of failures) {
      expect(error).toBeInstanceOf(LockStorageError);
      expect(error.message).toMatch(/WRONGTYPE/);
      expect(error.cause).toBeInstanceOf(Error);
      expect((error.cause as Error).message).toMatch(/WRONGTYPE/);
      expect((error.cause as { command?: { name?: string } }).command?.name).toMatch(/^eval(sha)?$/);
      expect(everything(error)).not.toContain(token);
    }

    const lock = new LockFactory(store).createLock('wrong-type');
    const wrapped = (await lock.acquire().catch((e: unknown) => e)) as Error;
    expect(wrapped).toBeInstanceOf(LockAcquiringError);
    expect(everything(wrapped)).not.toContain(lock.key.getState<string>(TOKEN));
    await admin.del('wrong-type');
  });
});
