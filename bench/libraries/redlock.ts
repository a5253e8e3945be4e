// redlock v4 (callbacks/Bluebird, any node_redis-like client) and its TypeScript
// successor @sesamecare-oss/redlock (the redlock v5 code on ioredis 5). Both retry
// SET NX on a fixed delay with jitter; their default retryCount (10) gives up after
// about 2 s, so waits use retryCount -1 (until acquired) with the default delays.
import type { LockEnv } from '../harness/workspace.js';
import { connectRedis, REDIS_TTL_MS } from './redis-client.js';
import type { Library } from './types.js';

export const redlockV4: Library = {
  id: 'redlock-v4',
  name: 'redlock 4',
  package: 'redlock',
  backend: 'redis',
  pollMs: 200,
  waits: `polls SET NX every retryDelay 200 ms ± retryJitter 100 ms (defaults), retryCount -1; TTL ${REDIS_TTL_MS / 1000} s`,
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls: { acquire: 'lock = await redlock.lock(resource, ttl)', release: 'await lock.unlock()' },
  async connect(env: LockEnv) {
    const { default: RedlockV4 } = await import('redlock');
    const client = await connectRedis(env);
    const redlock = new RedlockV4([client], { retryCount: -1 });
    redlock.on('clientError', () => {});
    return {
      lock(resource) {
        let held: { unlock(): PromiseLike<void> } | undefined;
        return {
          acquire: async () => {
            held = await redlock.lock(resource, REDIS_TTL_MS);
          },
          release: async () => {
            await held?.unlock();
            held = undefined;
          },
          close: async () => {},
        };
      },
      close: async () => {
        client.disconnect();
      },
    };
  },
};

export const sesameRedlock: Library = {
  id: 'sesame-redlock',
  name: '@sesamecare-oss/redlock',
  package: '@sesamecare-oss/redlock',
  backend: 'redis',
  pollMs: 200,
  waits: `polls SET NX every retryDelay 200 ms ± retryJitter 100 ms (defaults), retryCount -1; TTL ${REDIS_TTL_MS / 1000} s`,
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls: { acquire: 'lock = await redlock.acquire([resource], ttl)', release: 'await lock.release()' },
  async connect(env: LockEnv) {
    const { Redlock } = await import('@sesamecare-oss/redlock');
    const client = await connectRedis(env);
    const redlock = new Redlock([client], { retryCount: -1 });
    redlock.on('error', () => {});
    return {
      lock(resource) {
        let held: { release(): Promise<unknown> } | undefined;
        return {
          acquire: async () => {
            held = await redlock.acquire([resource], REDIS_TTL_MS);
          },
          release: async () => {
            await held?.release();
            held = undefined;
          },
          close: async () => {},
        };
      },
      close: async () => {
        client.disconnect();
      },
    };
  },
};
