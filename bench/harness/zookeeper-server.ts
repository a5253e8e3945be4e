// The run's own ZooKeeper: Debian's zookeeper package run standalone on a free port,
// its data under the run's directory, killed at the end of the run. Ready means `srvr`
// reports a mode: ZooKeeper 3.8 accepts connections before its database is loaded and
// fails handshakes until then, so an open port proves nothing. forceSync=no: the bench
// measures the lock protocol, not this VM's fsync.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { sleep } from './stats.js';
import type { Workspace } from './workspace.js';

const JAR = '/usr/share/java/zookeeper.jar';

export interface ZookeeperServer {
  port: number;
  version: string;
}

/** A four-letter word's reply ('' when refused). */
function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(2_000, () => socket.destroy());
    socket.on('connect', () => socket.write(word));
    socket.on('data', (chunk) => (reply += chunk.toString()));
    socket.on('close', () => resolve(reply));
    socket.on('error', () => {});
  });
}

export async function startZookeeperServer(workspace: Workspace): Promise<ZookeeperServer> {
  if (!existsSync(JAR)) throw new Error(`ZooKeeper is not installed (${JAR} missing: apt-get install zookeeper)`);
  const port = await freePort();
  const dir = join(workspace.dir, 'zookeeper');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'zoo.cfg');
  writeFileSync(
    config,
    [
      'tickTime=500',
      'minSessionTimeout=1000',
      'maxSessionTimeout=30000',
      `dataDir=${join(dir, 'data')}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      '4lw.commands.whitelist=*',
      'admin.enableServer=false',
      'forceSync=no',
    ].join('\n'),
  );
  const server = spawn('java', ['-Xmx256m', '-XX:+UseSerialGC', '-cp', JAR, 'org.apache.zookeeper.server.ZooKeeperServerMain', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let exited: string | undefined;
  server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  server.once('error', (error) => (exited = `java failed: ${error.message} (apt-get install zookeeper)`));
  server.once('exit', (code) => (exited ??= `exited with code ${code}: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
  workspace.onDispose(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });
  const deadline = performance.now() + 30_000;
  for (;;) {
    const reply = await fourLetterWord(port, 'srvr');
    if (/Mode: standalone/.test(reply)) {
      workspace.zookeeperPort = port;
      return { port, version: /Zookeeper version: ([^-,\s]+)/.exec(reply)?.[1] ?? 'unknown' };
    }
    if (exited) throw new Error(`ZooKeeper on port ${port} ${exited}`);
    if (performance.now() > deadline) throw new Error(`ZooKeeper on port ${port} was not ready within 30 s`);
    await sleep(50);
  }
}
