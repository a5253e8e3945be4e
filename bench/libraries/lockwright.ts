// lockwright through its public API: LockFactory -> Lock, blocking acquire(true).
import type { Lock, PersistingStore } from '../../dist/index.js';
import type { LockEnv } from '../harness/workspace.js';
import { connectRedis, REDIS_TTL_MS } from './redis-client.js';
import type { BenchLock, Library, Session } from './types.js';

function wrap(lock: Lock): BenchLock {
  return {
    acquire: () => lock.acquire(true),
    tryAcquire: () => lock.acquire(),
    release: () => lock.release(),
    close: () => lock.release(),
  };
}

export const lockwright = () => import('../../dist/index.js');

export async function session(store: PersistingStore, ttl?: number, close = async () => {}): Promise<Session> {
  const factory = new (await lockwright()).LockFactory(store);
  return { lock: (resource) => wrap(factory.createLock(resource, ttl === undefined ? {} : { ttl })), close };
}

const localCalls = { acquire: 'await lock.acquire(true)', tryAcquire: 'await lock.acquire()', release: 'await lock.release()' };

export const lockwrightFlock: Library = {
  id: 'lockwright-flock',
  name: 'lockwright FlockStore',
  backend: 'local',
  mechanism: 'flock',
  waits: 'flock(2) in the kernel on one addon waiter thread per resource and process; other waiters of the process queue in JS (FIFO)',
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls: localCalls,
  connect: async (env: LockEnv) => session(new (await lockwright()).FlockStore(env.dir)),
};

export const lockwrightSemaphore: Library = {
  id: 'lockwright-semaphore',
  name: 'lockwright SemaphoreStore',
  backend: 'local',
  mechanism: 'semop',
  waits: 'semtimedop(2) in the kernel on one addon waiter thread per resource and process; other waiters of the process queue in JS (FIFO)',
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls: localCalls,
  connect: async (env: LockEnv) => session(new (await lockwright()).SemaphoreStore({ namespace: env.namespace })),
};

export const lockwrightRedis: Library = {
  id: 'lockwright-redis',
  name: 'lockwright RedisStore',
  backend: 'redis',
  waits: `FIFO queue in Redis (a list per resource); a release hands the lock to the head in its script and publishes the grant on that waiter's channel; fallback poll bounded by the holder's TTL and pollInterval 1 s (default); TTL ${REDIS_TTL_MS / 1000} s`,
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls: { acquire: 'await lock.acquire(true)', tryAcquire: 'await lock.acquire()', release: 'await lock.release()' },
  async connect(env: LockEnv) {
    const client = await connectRedis(env);
    return session(new (await lockwright()).RedisStore(client), REDIS_TTL_MS, async () => {
      client.disconnect();
    });
  },
};
