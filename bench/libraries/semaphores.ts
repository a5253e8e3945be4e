// Counting semaphores (N permits), for the semaphore scenario: lockwright's Semaphore
// over RedisPermitStore, SysvPermitStore and LockPermitStore (slot locks on FlockStore), and
// redis-semaphore's Semaphore. `lock(resource)` gives a semaphore of SEMAPHORE_LIMIT
// permits taking one; distinct calls give distinct holders.
import type { Semaphore as LockwrightSemaphore } from '../../dist/index.js';
import type { LockEnv } from '../harness/workspace.js';
import { lockwright } from './lockwright.js';
import { connectRedis, REDIS_TTL_MS } from './redis-client.js';
import type { BenchLock, Library } from './types.js';

/** Permits of every semaphore the scenario measures. */
export const SEMAPHORE_LIMIT = 2;

const semaphoreCalls = { acquire: 'await semaphore.acquire(true)', tryAcquire: 'await semaphore.acquire()', release: 'await semaphore.release()' };

function wrap(semaphore: LockwrightSemaphore): BenchLock {
  return {
    acquire: () => semaphore.acquire(true),
    tryAcquire: () => semaphore.acquire(),
    release: () => semaphore.release(),
    close: () => semaphore.release(),
  };
}

export const lockwrightRedisPermits: Library = {
  id: 'lockwright-redis-permits',
  name: 'lockwright RedisPermitStore',
  backend: 'redis',
  waits: `FIFO queue in Redis (a list per resource, with each waiter's weight); a release grants the permits to the head waiters that fit in its script and publishes each grant on that waiter's channel alone; fallback poll bounded by the first holder's expiry and pollInterval 1 s (default); TTL ${REDIS_TTL_MS / 1000} s`,
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls: semaphoreCalls,
  async connect(env: LockEnv) {
    const { RedisPermitStore, SemaphoreFactory } = await lockwright();
    const client = await connectRedis(env);
    const store = new RedisPermitStore(client);
    const factory = new SemaphoreFactory(store);
    return {
      lock: (resource) => wrap(factory.createSemaphore(resource, SEMAPHORE_LIMIT, { ttl: REDIS_TTL_MS })),
      close: async () => {
        await store.close();
        client.disconnect();
      },
    };
  },
};

export const redisSemaphoreSemaphore: Library = {
  id: 'redis-semaphore-semaphore',
  name: 'redis-semaphore Semaphore',
  package: 'redis-semaphore',
  backend: 'redis',
  pollMs: 10,
  waits: `polls its Lua script every retryInterval 10 ms (default), acquireTimeout 10 s (default); lockTimeout ${REDIS_TTL_MS / 1000} s`,
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls: { acquire: 'await semaphore.acquire()', tryAcquire: 'await semaphore.tryAcquire()', release: 'await semaphore.release()' },
  async connect(env: LockEnv) {
    const { Semaphore } = await import('redis-semaphore');
    const client = await connectRedis(env);
    return {
      lock(resource) {
        const semaphore = new Semaphore(client, resource, SEMAPHORE_LIMIT, { lockTimeout: REDIS_TTL_MS });
        return {
          acquire: () => semaphore.acquire(),
          tryAcquire: () => semaphore.tryAcquire(),
          release: () => semaphore.release(),
          close: async () => {},
        };
      },
      close: async () => {
        client.disconnect();
      },
    };
  },
};

export const lockwrightSysvPermits: Library = {
  id: 'lockwright-sysv-permits',
  name: 'lockwright SysvPermitStore',
  backend: 'local',
  mechanism: 'semop',
  waits: "kernel semop wait on the addon's waiter thread, woken by the kernel when permits are given back",
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls: semaphoreCalls,
  async connect(env: LockEnv) {
    const { SysvPermitStore, SemaphoreFactory } = await lockwright();
    const factory = new SemaphoreFactory(new SysvPermitStore({ namespace: env.namespace }));
    return {
      lock: (resource) => wrap(factory.createSemaphore(resource, SEMAPHORE_LIMIT, { ttl: null })),
      close: async () => {},
    };
  },
};

export const lockwrightFlockPermits: Library = {
  id: 'lockwright-flock-permits',
  name: 'lockwright LockPermitStore over FlockStore',
  backend: 'local',
  mechanism: 'flock',
  waits: 'no store wait: Lock retries non-blocking slot acquisitions with a jittered delay (about 100 ms)',
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls: semaphoreCalls,
  async connect(env: LockEnv) {
    const { FlockStore, LockPermitStore, SemaphoreFactory } = await lockwright();
    const factory = new SemaphoreFactory(new LockPermitStore(new FlockStore(env.dir)));
    return {
      lock: (resource) => wrap(factory.createSemaphore(resource, SEMAPHORE_LIMIT, { ttl: null })),
      close: async () => {},
    };
  },
};
