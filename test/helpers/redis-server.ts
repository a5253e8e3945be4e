// Real redis-server processes on free ports for one test file (the process itself:
// servers/redis.ts), stopped after the file along with the clients made here; and what
// Redis tests wait with (readiness, queued waiters, network partitions). The shared
// Redis on 127.0.0.1:6379 is never touched.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll } from 'vitest';
import { queueKey } from '../../src/stores/redis/client.js';
import { permitQueueKeys } from '../../src/stores/redis/permit-scripts.js';
import { closeAfterFile, stopAfterFile } from './after-file.js';
import { freePort } from './servers/free-port.js';
import { RedisProcess, type RedisServerOptions } from './servers/redis.js';

export class RedisServer extends RedisProcess {
  /** Starts a redis-server on a free port; it is stopped after the test file. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = stopAfterFile(new RedisServer(await freePort(), options));
    await server.restart();
    return server;
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
    closeAfterFile(() => client.quit().catch(() => client.disconnect()));
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
