// The run's own redis-server: a free port on 127.0.0.1, no persistence, killed at the
// end of the run. Never the shared server on 6379.
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { sleep } from './stats.js';
import type { Workspace } from './workspace.js';

export interface RedisServer {
  port: number;
  pid: number;
  version: string;
}

export async function startRedisServer(workspace: Workspace): Promise<RedisServer> {
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', workspace.dir], {
    stdio: 'ignore',
  });
  workspace.onDispose(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('spawn', resolve);
    server.once('error', reject);
  });
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.connect();
        break;
      } catch (error) {
        if (attempt >= 50 || server.exitCode !== null) throw new Error(`redis-server on port ${port} did not start: ${(error as Error).message}`);
        await sleep(100);
      }
    }
    const info = await client.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    workspace.redisPort = port;
    return { port, pid: server.pid!, version };
  } finally {
    client.disconnect();
  }
}
