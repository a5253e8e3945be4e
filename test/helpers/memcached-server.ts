// Real memcached processes on free ports for one test file (the process itself:
// servers/memcached.ts), stopped after the file along with the clients made here.
import Memcached from 'memcached';
import type { MemcachedClient } from '../../src/index.js';
import { closeAfterFile, stopAfterFile } from './after-file.js';
import { freePort } from './servers/free-port.js';
import { MemcachedProcess } from './servers/memcached.js';

export { command } from './servers/memcached.js';

export class MemcachedServer extends MemcachedProcess {
  /** Starts a memcached on a free port; it is stopped after the test file. */
  static async start(): Promise<MemcachedServer> {
    const server = stopAfterFile(new MemcachedServer(await freePort()));
    await server.restart();
    return server;
  }

  /** A client as createStore() makes one (fails fast while the server is away); ended after the file. */
  client(): MemcachedClient & Memcached {
    const client = new Memcached(this.location, { retries: 0, retry: 200, failures: 1e9, remove: false, timeout: 2_000, keyCompression: false });
    closeAfterFile(() => client.end());
    return client;
  }
}
