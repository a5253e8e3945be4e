// A redis-server of its own (no persistence: nothing is saved, a stopped server comes
// back empty), optionally TLS-only or also on a Unix socket. Ready once it logs that it
// accepts connections; its version is read from the same log (no client needed, TLS or not).
import { join } from 'node:path';
import { ServerProcess, type ServerCommand } from './server-process.js';

export interface RedisServerOptions {
  /** Also listen on a Unix socket, `socket` (in the server's own directory). */
  unixSocket?: boolean;
  /** Listen with TLS only (on `port`), with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
}

export class RedisProcess extends ServerProcess {
  readonly #options: RedisServerOptions;
  #version = 'unknown';

  constructor(port: number, options: RedisServerOptions = {}) {
    super(port, 'redis');
    this.#options = options;
  }

  /** The Unix socket's path (with `unixSocket: true`). */
  get socket(): string {
    return join(this.dir, 'redis.sock');
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  protected command(): ServerCommand {
    const { tls, unixSocket } = this.#options;
    const listen = tls
      ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-auth-clients', 'no']
      : ['--port', String(this.port)];
    if (unixSocket) listen.push('--unixsocket', this.socket, '--unixsocketperm', '700');
    return {
      command: 'redis-server',
      args: [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir],
      aptPackage: 'redis-server',
    };
  }

  // "Ready to accept connections" (TCP, TLS), "ready to accept connections at <path>" (socket only).
  protected async isReady(output: string): Promise<boolean> {
    if (!/ready to accept connections/i.test(output)) return false;
    this.#version = /Redis version=([^,\s]+)/.exec(output)?.[1] ?? 'unknown';
    return true;
  }

  async version(): Promise<string> {
    return this.#version;
  }
}
