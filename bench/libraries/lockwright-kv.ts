// lockwright MemcachedStore and ZookeeperStore, each from its DSN on the run's own
// server (bench/harness/servers.ts).
import type { PersistingStore } from '../../dist/index.js';
import type { LockEnv } from '../harness/workspace.js';
import { lockwright, session } from './lockwright.js';
import type { Library } from './types.js';

export const MEMCACHED_TTL_MS = 30_000;

const calls = { acquire: 'await lock.acquire(true)', tryAcquire: 'await lock.acquire()', release: 'await lock.release()' };

async function owned(dsn: string, ttl?: number) {
  const store = (await lockwright()).createStore(dsn) as PersistingStore & { close?(): Promise<void> };
  return session(store, ttl, async () => {
    await store.close?.();
  });
}

export const lockwrightMemcached: Library = {
  id: 'lockwright-memcached',
  name: 'lockwright MemcachedStore',
  backend: 'memcached',
  pollMs: 100,
  waits: `polls \`add\` (Memcached cannot notify): poll_interval 100 ms (default), one poller per resource and process; TTL ${MEMCACHED_TTL_MS / 1000} s`,
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls,
  connect(env: LockEnv) {
    if (!env.memcachedPort) throw new Error('no memcached started for this run');
    return owned(`memcached://127.0.0.1:${env.memcachedPort}`, MEMCACHED_TTL_MS);
  },
};

export const lockwrightZookeeper: Library = {
  id: 'lockwright-zookeeper',
  name: 'lockwright ZookeeperStore',
  backend: 'zookeeper',
  waits: 'FIFO queue on the server: an ephemeral sequential node per waiter, each watching its predecessor (the head watches the lock node); woken by the watch',
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls,
  connect(env: LockEnv) {
    if (!env.zookeeperPort) throw new Error('no ZooKeeper started for this run');
    return owned(`zookeeper://127.0.0.1:${env.zookeeperPort}`);
  },
};
