// Real memcached processes on free ports, for one test file: killed afterwards (and on
// exit, should the file crash). A missing binary fails with the Debian package to install.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import Memcached from 'memcached';
import { afterAll } from 'vitest';
import type { MemcachedClient } from '../../src/index.js';

const servers = new Set<MemcachedServer>();
const clients = new Set<Memcached>();

afterAll(async () => {
  for (const client of clients) client.end();
  clients.clear();
  await Promise.all([...servers].map((s) => s.stop()));
  servers.clear();
});
process.on('exit', () => {
  for (const server of servers) server.kill();
});

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Fails (never skips) when memcached is not installed. */
export function requireMemcached(): void {
  const probe = spawnSync('memcached', ['-V'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('These tests need a memcached server binary: apt-get install memcached');
  }
}

/** Sends one text-protocol command and resolves with the reply (for readiness and admin). */
export function command(port: number, line: string, until = /\r\n$/): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error(`memcached on ${port} did not answer "${line}"`)));
    socket.on('connect', () => socket.write(`${line}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (until.test(reply)) {
        socket.end();
        resolve(reply);
      }
    });
    socket.on('error', reject);
  });
}

export class MemcachedServer {
  readonly port: number;
  #process: ChildProcess | null = null;

  private constructor(port: number) {
    this.port = port;
  }

  /** Starts a memcached on a free port; it is stopped after the test file. */
  static async start(): Promise<MemcachedServer> {
    requireMemcached();
    const server = new MemcachedServer(await freePort());
    servers.add(server);
    await server.restart();
    return server;
  }

  get dsn(): string {
    return `memcached://127.0.0.1:${this.port}`;
  }

  get location(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** (Re)starts the server on its port (empty: memcached keeps nothing), once it answers. */
  async restart(): Promise<void> {
    if (this.#process) return;
    const args = ['-p', String(this.port), '-l', '127.0.0.1', '-U', '0', '-m', '64', '-t', '2'];
    if (process.getuid?.() === 0) args.push('-u', 'root');
    const child = spawn('memcached', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#process = child;
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`memcached on ${this.port} exited with ${code}: ${stderr}`))),
    );
    exited.catch(() => {});
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await Promise.race([command(this.port, 'version'), exited]);
        break;
      } catch (error) {
        if (this.#process !== child || Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    child.removeAllListeners('exit');
    child.once('exit', () => {
      if (this.#process === child) this.#process = null;
    });
  }

  /** Stops the server: every item is gone. */
  async stop(): Promise<void> {
    const child = this.#process;
    if (!child) return;
    this.#process = null;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
    });
  }

  kill(): void {
    this.#process?.kill('SIGKILL');
    this.#process = null;
  }

  /** A client as createStore() makes one (fails fast while the server is away); ended after the file. */
  client(): MemcachedClient & Memcached {
    const client = new Memcached(this.location, { retries: 0, retry: 200, failures: 1e9, remove: false, timeout: 2_000, keyCompression: false });
    clients.add(client);
    return client;
  }
}
