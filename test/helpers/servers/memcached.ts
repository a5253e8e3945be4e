// A memcached of its own (64 MB, 2 threads, TCP only; it keeps nothing, so a restarted
// server is empty), ready once it answers "version".
import { connect } from 'node:net';
import { ServerProcess, type ServerCommand } from './server-process.js';

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

export class MemcachedProcess extends ServerProcess {
  constructor(port: number) {
    super(port, 'memcached');
  }

  get dsn(): string {
    return `memcached://127.0.0.1:${this.port}`;
  }

  get location(): string {
    return `127.0.0.1:${this.port}`;
  }

  protected command(): ServerCommand {
    const args = ['-p', String(this.port), '-l', '127.0.0.1', '-U', '0', '-m', '64', '-t', '2'];
    // memcached refuses to run as root unless told which user to be.
    if (process.getuid?.() === 0) args.push('-u', 'root');
    return { command: 'memcached', args, aptPackage: 'memcached' };
  }

  protected async isReady(): Promise<boolean> {
    return this.version().then(
      () => true,
      () => false,
    );
  }

  async version(): Promise<string> {
    return (await command(this.port, 'version')).trim().replace(/^VERSION /, '');
  }
}
