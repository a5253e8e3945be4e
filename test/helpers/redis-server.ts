// Real redis-server processes on free ports, in temporary directories, for one test
// file: killed afterwards (and on exit, should the file crash). The shared Redis on
// 127.0.0.1:6379 is never touched.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll } from 'vitest';

const servers = new Set<RedisServer>();
const clients = new Set<Redis>();

afterAll(async () => {
  await Promise.all([...clients].map((c) => c.quit().catch(() => c.disconnect())));
  clients.clear();
  await Promise.all([...servers].map((s) => s.stop()));
  servers.clear();
});
process.on('exit', () => {
  for (const server of servers) server.kill();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  readonly port: number;
  readonly dir: string;
  #process: ChildProcess | null = null;

  private constructor(port: number) {
    this.port = port;
    this.dir = mkdtempSync(join(tmpdir(), 'lockwright-redis-'));
  }

  /** Starts a redis-server on a free port; it is stopped after the test file. */
  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    servers.add(server);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#process !== null;
  }

  /** (Re)starts the server on its port, resolving once it accepts connections. */
  async restart(): Promise<void> {
    if (this.#process) return;
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#process = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`redis-server on ${this.port} exited with ${code}: ${output}`)));
    });
    child.stdout!.removeAllListeners('data');
    child.stderr!.removeAllListeners('data');
    child.stdout!.resume();
    child.stderr!.resume();
    child.removeAllListeners('exit');
    child.once('exit', () => {
      if (this.#process === child) this.#process = null;
    });
  }

  /** Stops the server (SIGTERM; its data is gone: nothing is saved). */
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
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A client that fails fast when the server is away; quit after the test file. */
  client(options: RedisOptions = {}): Redis {
    const client = new Redis({
      port: this.port,
      host: '127.0.0.1',
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: () => 50,
      ...options,
    });
    client.on('error', () => {});
    clients.add(client);
    return client;
  }
}

/** Resolves once the client is connected (an offline-queue-less client refuses commands before). */
export function ready(client: Redis): Promise<Redis> {
  if (client.status === 'ready') return Promise.resolve(client);
  return new Promise((resolve) => client.once('ready', () => resolve(client)));
}

/** Waits until `check` passes (for reconnects), or throws after `ms`. */
export async function eventually(check: () => Promise<unknown>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
