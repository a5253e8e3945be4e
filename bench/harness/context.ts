// What every scenario gets: the mode, the workspace, and the shared measurements
// (physical limits, the redis-server) made once per run by whichever scenario asks first.
import { measurePhysicalLimits, type PhysicalLimits } from './physical.js';
import { startRedisServer, type RedisServer } from './redis-server.js';
import type { Section } from './report.js';
import type { Workspace } from './workspace.js';

export interface BenchContext {
  quick: boolean;
  workspace: Workspace;
  limits(): Promise<PhysicalLimits>;
  redis(): Promise<RedisServer>;
  /** The redis-server, if some scenario started it (for the report's header). */
  redisIfStarted(): Promise<RedisServer | undefined>;
}

export type Scenario = (context: BenchContext) => Promise<Section>;

export function createContext(workspace: Workspace, quick: boolean): BenchContext {
  let limits: Promise<PhysicalLimits> | undefined;
  let redis: Promise<RedisServer> | undefined;
  return {
    quick,
    workspace,
    limits: () => (limits ??= measurePhysicalLimits(workspace, quick)),
    redis: () => (redis ??= startRedisServer(workspace)),
    redisIfStarted: async () => redis?.catch(() => undefined),
  };
}
