// What every scenario gets: the mode, the workspace, and the shared measurements
// (physical limits, the redis-server, memcached, ZooKeeper) made once per run by
// whichever scenario asks first.
import { measurePhysicalLimits, type PhysicalLimits } from './physical.js';
import { startMemcachedServer, startRedisServer, startZookeeperServer, type MemcachedServer, type RedisServer, type ZookeeperServer } from './servers.js';
import type { Section } from './report.js';
import type { Workspace } from './workspace.js';

export interface BenchContext {
  quick: boolean;
  workspace: Workspace;
  limits(): Promise<PhysicalLimits>;
  redis(): Promise<RedisServer>;
  /** The redis-server, if some scenario started it (for the report's header). */
  redisIfStarted(): Promise<RedisServer | undefined>;
  memcached(): Promise<MemcachedServer>;
  zookeeper(): Promise<ZookeeperServer>;
  /** The servers some scenario started, for the report's header. */
  serversStarted(): Promise<{ memcached?: MemcachedServer; zookeeper?: ZookeeperServer }>;
}

export type Scenario = (context: BenchContext) => Promise<Section>;

export function createContext(workspace: Workspace, quick: boolean): BenchContext {
  let limits: Promise<PhysicalLimits> | undefined;
  let redis: Promise<RedisServer> | undefined;
  let memcached: Promise<MemcachedServer> | undefined;
  let zookeeper: Promise<ZookeeperServer> | undefined;
  return {
    quick,
    workspace,
    limits: () => (limits ??= measurePhysicalLimits(workspace, quick)),
    redis: () => (redis ??= startRedisServer(workspace)),
    redisIfStarted: async () => redis?.catch(() => undefined),
    memcached: () => (memcached ??= startMemcachedServer(workspace)),
    zookeeper: () => (zookeeper ??= startZookeeperServer(workspace)),
    serversStarted: async () => {
      const [m, z] = await Promise.all([memcached?.catch(() => undefined), zookeeper?.catch(() => undefined)]);
      return { ...(m ? { memcached: m } : {}), ...(z ? { zookeeper: z } : {}) };
    },
  };
}
