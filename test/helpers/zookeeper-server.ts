// Real ZooKeeper servers on free ports for one test file (the process itself:
// servers/zookeeper.ts), stopped after the file along with the clients made here.
import zookeeper from 'node-zookeeper-client';
import type { ZookeeperClient } from '../../src/index.js';
import { closeAfterFile, stopAfterFile } from './after-file.js';
import { freePort } from './servers/free-port.js';
import { ZookeeperProcess } from './servers/zookeeper.js';

export class ZookeeperServer extends ZookeeperProcess {
  /** Starts a standalone server on a free port; it is stopped after the test file. */
  static async start(): Promise<ZookeeperServer> {
    const server = stopAfterFile(new ZookeeperServer(await freePort()));
    await server.restart();
    return server;
  }

  /** A connected client; closed after the file. */
  async client(sessionTimeout = 10_000): Promise<ZookeeperClient & zookeeper.Client> {
    const client = zookeeper.createClient(this.connectionString, { sessionTimeout, spinDelay: 200, retries: 0 });
    closeAfterFile(() => client.close());
    await new Promise<void>((resolve) => {
      client.once('connected', () => resolve());
      client.connect();
    });
    return client as ZookeeperClient & zookeeper.Client;
  }
}
