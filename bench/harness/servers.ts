// The run's own servers: redis-server, memcached, ZooKeeper, each started by the tests'
// code (test/helpers/servers/, free of vitest) on a free port of 127.0.0.1, without
// persistence, and killed when the workspace is disposed; never the shared servers
// (Redis on 6379). Their ports go on the Workspace, for the children to find them. A
// missing binary fails the scenario that asked for it, naming the Debian package to
// install (its section says so; the run goes on).
import { freePort } from '../../test/helpers/servers/free-port.js';
import { MemcachedProcess } from '../../test/helpers/servers/memcached.js';
import { RedisProcess } from '../../test/helpers/servers/redis.js';
import type { ServerProcess } from '../../test/helpers/servers/server-process.js';
import { ZookeeperProcess } from '../../test/helpers/servers/zookeeper.js';
import type { Workspace } from './workspace.js';

/** A started server, as the scenarios and the report's header describe it. */
export interface StartedServer {
  port: number;
  /** For CPU sampling of the server process. */
  pid: number;
  version: string;
}
export type RedisServer = StartedServer;
export type MemcachedServer = StartedServer;
export type ZookeeperServer = StartedServer;

async function startOwned(workspace: Workspace, server: ServerProcess): Promise<StartedServer> {
  workspace.onDispose(() => server.kill());
  await server.restart();
  return { port: server.port, pid: server.pid!, version: await server.version() };
}

export async function startRedisServer(workspace: Workspace): Promise<RedisServer> {
  const server = await startOwned(workspace, new RedisProcess(await freePort()));
  workspace.redisPort = server.port;
  return server;
}

export async function startMemcachedServer(workspace: Workspace): Promise<MemcachedServer> {
  const server = await startOwned(workspace, new MemcachedProcess(await freePort()));
  workspace.memcachedPort = server.port;
  return server;
}

export async function startZookeeperServer(workspace: Workspace): Promise<ZookeeperServer> {
  // All of the JIT and a larger heap: the bench measures steady state, not start-up.
  const zookeeper = new ZookeeperProcess(await freePort(), { jvm: ['-Xmx256m', '-XX:+UseSerialGC'] });
  const server = await startOwned(workspace, zookeeper);
  workspace.zookeeperPort = server.port;
  return server;
}
