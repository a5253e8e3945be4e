// The ioredis connection every Redis library gets: the run's own redis-server.
import type { Redis } from 'ioredis';
import type { LockEnv } from '../harness/workspace.js';

/** Lock lifetime for every Redis library, so that all do the same work per acquire. */
export const REDIS_TTL_MS = 10_000;

export async function connectRedis(env: LockEnv): Promise<Redis> {
  if (!env.redisPort) throw new Error('no redis-server started for this run');
  const { Redis } = await import('ioredis');
  const client = new Redis({ host: '127.0.0.1', port: env.redisPort, lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  return client;
}
