// The run's own memcached: a free port on 127.0.0.1, 64 MB, killed at the end of the
// run. Ready once it answers "version". A missing binary fails the scenario that asked
// for it with the Debian package to install (its section says so; the run goes on).
import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './free-port.js';
import { sleep } from './stats.js';
import type { Workspace } from './workspace.js';

export interface MemcachedServer {
  port: number;
  version: string;
}

/** One text-protocol command, its reply up to the first line end. */
function command(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error(`memcached on ${port} did not answer "${line}"`)));
    socket.on('connect', () => socket.write(`${line}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.endsWith('\r\n')) {
        socket.end();
        resolve(reply.trim());
      }
    });
    socket.on('error', reject);
  });
}

export async function startMemcachedServer(workspace: Workspace): Promise<MemcachedServer> {
  const probe = spawnSync('memcached', ['-V'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error('memcached is not installed (apt-get install memcached)');
  const port = await freePort();
  const args = ['-p', String(port), '-l', '127.0.0.1', '-U', '0', '-m', '64', '-t', '2'];
  if (process.getuid?.() === 0) args.push('-u', 'root');
  const server = spawn('memcached', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  workspace.onDispose(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });
  for (let attempt = 0; ; attempt++) {
    try {
      const version = (await command(port, 'version')).replace(/^VERSION /, '');
      workspace.memcachedPort = port;
      return { port, version };
    } catch (error) {
      if (attempt >= 200 || server.exitCode !== null) throw new Error(`memcached on port ${port} did not start: ${stderr.trim() || (error as Error).message}`);
      await sleep(25);
    }
  }
}
