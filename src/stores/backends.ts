// Every backend createStore() knows, in the order they are tried. Add a backend here.
import type { StoreBackend } from './backend.js';
import { flockBackend, semaphoreBackend } from './local/backend.js';
import { memcachedBackend } from './memcached/backend.js';
import { inMemoryBackend, nullBackend } from './memory/backend.js';
import { mysqlAdvisoryBackend } from './mysql/backend.js';
import { postgresAdvisoryBackend } from './postgres/backend.js';
import { redisBackend } from './redis/backend.js';
import { sqlBackend } from './sql/backend.js';
import { zookeeperBackend } from './zookeeper/backend.js';

export const STORE_BACKENDS: readonly StoreBackend[] = [
  flockBackend,
  semaphoreBackend,
  inMemoryBackend,
  nullBackend,
  redisBackend,
  sqlBackend,
  postgresAdvisoryBackend,
  mysqlAdvisoryBackend,
  memcachedBackend,
  zookeeperBackend,
];
