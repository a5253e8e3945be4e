// Real ZooKeeper servers (Debian's zookeeper package, standalone) on free ports, each
// with its own data directory and zoo.cfg, for one test file: stopped afterwards (and
// killed on exit, should the file crash). Ready means `srvr` reports a mode: ZooKeeper
// 3.8.0 accepts connections before its database is loaded and fails handshakes until
// then, so an open port proves nothing. A missing package fails, naming it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zookeeper from 'node-zookeeper-client';
import { afterAll } from 'vitest';
import type { ZookeeperClient } from '../../src/index.js';
import { freePort } from './memcached-server.js';

const JAR = '/usr/share/java/zookeeper.jar';
const servers = new Set<ZookeeperServer>();
const clients = new Set<zookeeper.Client>();

afterAll(async () => {
  for (const client of clients) client.close();
  clients.clear();
  await Promise.all([...servers].map((s) => s.stop()));
  for (const server of servers) server.kill();
  servers.clear();
});
process.on('exit', () => {
  for (const server of servers) server.kill();
});

/** Sends a four-letter word and resolves with the reply ('' when refused). */
export function fourLetterWord(port: number, word: string): Promise<string> {
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

export class ZookeeperServer {
  readonly port: number;
  readonly dir: string;
  #process: ChildProcess | null = null;

  private constructor(port: number) {
    this.port = port;
    this.dir = mkdtempSync(join(tmpdir(), 'lockwright-zookeeper-'));
  }

  /** Starts a standalone server on a free port; it is stopped after the test file. */
  static async start(): Promise<ZookeeperServer> {
    if (!existsSync(JAR)) throw new Error(`These tests need ZooKeeper (${JAR}): apt-get install zookeeper`);
    const server = new ZookeeperServer(await freePort());
    servers.add(server);
    await server.restart();
    return server;
  }

  get connectionString(): string {
    return `127.0.0.1:${this.port}`;
  }

  dsn(options = ''): string {
    return `zookeeper://127.0.0.1:${this.port}${options}`;
  }

  /** (Re)starts the server on its port; `fresh` wipes its data (every session is forgotten). */
  async restart(fresh = false): Promise<void> {
    if (this.#process) return;
    const data = join(this.dir, 'data');
    if (fresh) rmSync(data, { recursive: true, force: true });
    const config = join(this.dir, 'zoo.cfg');
    writeFileSync(
      config,
      [
        'tickTime=500', // sessions of 1 s to 2 min
        'minSessionTimeout=1000',
        // Long enough for a session to outlive a JVM restart on a loaded machine.
        'maxSessionTimeout=120000',
        `dataDir=${data}`,
        `clientPort=${this.port}`,
        'clientPortAddress=127.0.0.1',
        '4lw.commands.whitelist=*',
        'admin.enableServer=false',
        'forceSync=no',
      ].join('\n'),
    );
    const child = spawn(
      'java',
      ['-Xmx128m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', JAR, 'org.apache.zookeeper.server.ZooKeeperServerMain', config],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.#process = child;
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let exited: string | null = null;
    child.once('error', (error) => (exited = `java failed: ${error.message} (apt-get install zookeeper)`));
    child.once('exit', (code) => (exited ??= `exited with ${code}: ${stderr}`));
    const deadline = Date.now() + 30_000;
    while (!/Mode: standalone/.test(await fourLetterWord(this.port, 'srvr'))) {
      if (exited !== null) throw new Error(`ZooKeeper on ${this.port} ${exited}`);
      if (Date.now() > deadline) throw new Error(`ZooKeeper on ${this.port} was not ready within 30 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.once('exit', () => {
      if (this.#process === child) this.#process = null;
    });
  }

  /** Stops the server (its data stays unless the next restart is fresh). */
  async stop(): Promise<void> {
    const child = this.#process;
    if (!child) return;
    this.#process = null;
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    });
  }

  kill(): void {
    this.#process?.kill('SIGKILL');
    this.#process = null;
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A connected client; closed after the file. */
  async client(sessionTimeout = 10_000): Promise<ZookeeperClient & zookeeper.Client> {
    const client = zookeeper.createClient(this.connectionString, { sessionTimeout, spinDelay: 200, retries: 0 });
    clients.add(client);
    await new Promise<void>((resolve) => {
      client.once('connected', () => resolve());
      client.connect();
    });
    return client as ZookeeperClient & zookeeper.Client;
  }
}
