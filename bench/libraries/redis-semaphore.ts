// redis-semaphore's Mutex: SET NX PX, polled every retryInterval (default 10 ms) until
// acquireTimeout (default 10 s); refreshed by an unref'd interval while held.
import type { LockEnv } from '../harness/workspace.js';
import { connectRedis, REDIS_TTL_MS } from './redis-client.js';
import type { Library } from './types.js';

export const redisSemaphore: Library = {
  id: 'redis-semaphore',
  name: 'redis-semaphore Mutex',
  package: 'redis-semaphore',
  backend: 'redis',
  pollMs: 10,
  waits: `polls SET NX every retryInterval 10 ms (default), acquireTimeout 10 s (default); lockTimeout ${REDIS_TTL_MS / 1000} s`,
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls: { acquire: 'await mutex.acquire()', tryAcquire: 'await mutex.tryAcquire()', release: 'await mutex.release()' },
  async connect(env: LockEnv) {
    const { Mutex } = await import('redis-semaphore');
    const client = await connectRedis(env);
    return {
      lock(resource) {
        const mutex = new Mutex(client, resource, { lockTimeout: REDIS_TTL_MS });
        return {
          acquire: () => mutex.acquire(),
          tryAcquire: () => mutex.tryAcquire(),
          release: () => mutex.release(),
          close: async () => {},
        };
      },
      close: async () => {
        client.disconnect();
      },
    };
  },
};
