// lockwright through its public API: LockFactory -> Lock, blocking acquire(true).
import type { Lock, PersistingStore } from '../../dist/index.js';
import { join } from 'node:path';
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

/**
 * The hand-off floor: the addon's FlockHandle alone, without FlockStore or Lock (the same
 * lock file as FlockStore's). A blocked wait is the one lockwright's stores make: flock(2)
 * on a pooled addon waiter thread, the grant delivered to the event loop by a thread-safe
 * function. The difference to the FlockStore row is the stores' and Lock's JavaScript.
 */
export const lockwrightAddonFlock: Library = {
  id: 'lockwright-addon-flock',
  name: 'lockwright addon alone (floor)',
  backend: 'local',
  mechanism: 'flock',
  waits: 'flock(2) on a pooled addon waiter thread, the grant delivered by a thread-safe function (no store, no Lock)',
  waitsOnThreadpool: false,
  excludesInProcess: false,
  calls: { acquire: 'handle.tryLock(false) || handle.wait(false, -1, callback)', release: 'handle.unlock()' },
  async connect(env: LockEnv) {
    const native = (await import('../../dist/native.js')).loadNative();
    const { flockFileName } = await import('../../dist/stores/local/flock-file-name.js');
    return {
      lock(resource) {
        const handle = native.openFlock(join(env.dir, flockFileName(resource)), 0o600);
        return {
          acquire: () =>
            handle.tryLock(false)
              ? Promise.resolve()
              : new Promise<void>((resolve, reject) => {
                  handle.wait(false, -1, (error) => (error ? reject(error) : resolve()));
                }),
          release: () => handle.unlock(),
          close: () => handle.close(),
        };
      },
      close: async () => {},
    };
  },
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
