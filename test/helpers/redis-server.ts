// Real redis-server processes on free ports, in temporary directories, for one test
// file: killed afterwards (and on exit, should the file crash). The shared Redis on
// 127.0.0.1:6379 is never touched.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll } from 'vitest';
import { queueKey } from '../../src/stores/redis/client.js';
import { permitQueueKeys } from '../../src/stores/redis/permit-scripts.js';

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

export interface RedisServerOptions {
  /** Also listen on a Unix socket, `socket` (in the server's own directory). */
  unixSocket?: boolean;
  /** Listen with TLS only (on `port`), with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
}

export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly #options: RedisServerOptions;
  #process: ChildProcess | null = null;

  private constructor(port: number, options: RedisServerOptions) {
    this.port = port;
    this.#options = options;
    this.dir = mkdtempSync(join(tmpdir(), 'lockwright-redis-'));
  }

  /** Starts a redis-server on a free port; it is stopped after the test file. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options);
    servers.add(server);
    await server.restart();
    return server;
  }

  /** The Unix socket's path (with `unixSocket: true`). */
  get socket(): string {
    return join(this.dir, 'redis.sock');
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
    const { tls, unixSocket } = this.#options;
    const listen = tls
      ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-auth-clients', 'no']
      : ['--port', String(this.port)];
    if (unixSocket) listen.push('--unixsocket', this.socket, '--unixsocketperm', '700');
    const child = spawn(
      'redis-server',
      [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir],
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
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'ENOENT' ? new Error('redis-server is not installed: apt-get install redis-server') : error),
      );
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

/**
 * A TCP proxy in front of a server, for network partitions: `partition()` stops
 * forwarding in both directions without closing anything (a silent network: commands
 * get no reply, no error either), `heal()` delivers what was held back, as TCP would
 * once the network is back.
 */
export class PartitionProxy {
  readonly port: number;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #partitioned = false;
  readonly #held: Array<() => void> = [];

  private constructor(server: Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  static async start(target: number): Promise<PartitionProxy> {
    let proxy: PartitionProxy | undefined;
    const server = createServer((inbound) => {
      const outbound = connect(target, '127.0.0.1');
      for (const [from, to] of [
        [inbound, outbound],
        [outbound, inbound],
      ] as const) {
        proxy!.#sockets.add(from);
        from.on('data', (chunk) => {
          if (proxy!.#partitioned) proxy!.#held.push(() => to.write(chunk));
          else to.write(chunk);
        });
        from.on('error', () => to.destroy());
        from.on('close', () => {
          proxy!.#sockets.delete(from);
          to.destroy();
        });
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new PartitionProxy(server, (server.address() as { port: number }).port);
    proxies.add(proxy);
    return proxy;
  }

  partition(): void {
    this.#partitioned = true;
  }

  heal(): void {
    this.#partitioned = false;
    for (const deliver of this.#held.splice(0)) deliver();
  }

  async close(): Promise<void> {
    proxies.delete(this);
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

const proxies = new Set<PartitionProxy>();
afterAll(async () => {
  await Promise.all([...proxies].map((p) => p.close()));
});

/**
 * Resolves once someone waits for `resource` on this server (queued in its Redis wait
 * queue, which a waiter joins once subscribed to its wake-ups): the event a test needs
 * before releasing, instead of a sleep that guesses. `count`: that many waiters.
 */
export async function waitingFor(admin: Redis, resource: string, ms = 10_000, count = 1): Promise<void> {
  await eventually(async () => {
    const queued = await admin.llen(queueKey(resource));
    if (queued < count) throw new Error(`${queued} of ${count} waiters queued for "${resource}" after ${ms} ms`);
  }, ms);
}

/** Resolves once `count` waiters queue in Redis for permits of `resource` (RedisPermitStore). */
export async function waitingForPermits(admin: Redis, resource: string, ms = 10_000, count = 1): Promise<void> {
  await eventually(async () => {
    const queued = await admin.llen(permitQueueKeys(resource)[0]);
    if (queued < count) throw new Error(`${queued} of ${count} waiters queued for permits of "${resource}" after ${ms} ms`);
  }, ms);
}
