// A standalone ZooKeeper of its own (Debian's zookeeper package), with its data and
// zoo.cfg in its own directory. Ready means `srvr` reports a mode: ZooKeeper 3.8.0
// accepts connections before its database is loaded and fails handshakes until then,
// so an open port proves nothing.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ServerProcess, type ServerCommand } from './server-process.js';

const JAR = '/usr/share/java/zookeeper.jar';

export interface ZookeeperServerOptions {
  /**
   * JVM flags. The default starts fast (C1 only, small heap), which tests that restart
   * servers want; the bench passes its own, for steady-state speed.
   */
  jvm?: string[];
}

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

export class ZookeeperProcess extends ServerProcess {
  protected override readonly stopGraceMs = 5_000;
  protected override readonly readyWithinMs = 30_000;
  readonly #jvm: string[];

  constructor(port: number, options: ZookeeperServerOptions = {}) {
    super(port, 'zookeeper');
    this.#jvm = options.jvm ?? ['-Xmx128m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];
  }

  get connectionString(): string {
    return `127.0.0.1:${this.port}`;
  }

  dsn(options = ''): string {
    return `zookeeper://127.0.0.1:${this.port}${options}`;
  }

  /** (Re)starts the server on its port; `fresh` wipes its data (every session is forgotten). */
  override async restart(fresh = false): Promise<void> {
    if (fresh && !this.running) rmSync(join(this.dir, 'data'), { recursive: true, force: true });
    await super.restart();
  }

  protected command(): ServerCommand {
    if (!existsSync(JAR)) throw new Error(`ZooKeeper is not installed (${JAR} is missing): apt-get install zookeeper`);
    const config = join(this.dir, 'zoo.cfg');
    writeFileSync(
      config,
      [
        'tickTime=500', // sessions of 1 s to 2 min
        'minSessionTimeout=1000',
        // Long enough for a session to outlive a JVM restart on a loaded machine.
        'maxSessionTimeout=120000',
        `dataDir=${join(this.dir, 'data')}`,
        `clientPort=${this.port}`,
        'clientPortAddress=127.0.0.1',
        '4lw.commands.whitelist=*',
        'admin.enableServer=false',
        // Tests and the bench exercise the lock protocol, not this machine's fsync.
        'forceSync=no',
      ].join('\n'),
    );
    return {
      command: 'java',
      args: [...this.#jvm, '-cp', JAR, 'org.apache.zookeeper.server.ZooKeeperServerMain', config],
      aptPackage: 'zookeeper',
    };
  }

  protected async isReady(): Promise<boolean> {
    return /Mode: standalone/.test(await fourLetterWord(this.port, 'srvr'));
  }

  async version(): Promise<string> {
    return /Zookeeper version: ([^-,\s]+)/.exec(await fourLetterWord(this.port, 'srvr'))?.[1] ?? 'unknown';
  }
}
