// createStore: a store from a DSN string or a client object, as Symfony's StoreFactory.
// The backends themselves (schemes, parsing, client guards) live in their folders and
// are listed in backends.ts.
import type { PersistingStore } from '../core/store.js';
import { fromBackends } from './backend.js';
import { STORE_BACKENDS } from './backends.js';

// Schemes Symfony knows that lockwright does not (yet): named in the error, not "unknown".
const UNSUPPORTED_SCHEMES = /^(mongodb(\+srv)?|mysql2|mssql|oci8?|pdo_oci|pgsql|sqlite3|sqlsrv):/i;

/** A store that holds connections: call `close()` when done (createStore's stores may). */
export type ClosableStore = PersistingStore & { close?(): Promise<void> };

/**
 * A store from a DSN or a client: `flock`, `flock:///abs/dir`, `semaphore`,
 * `semaphore://<namespace>`, `in-memory`, `null`, `redis://[[user]:password@]host[:port][/db][?options]`,
 * `rediss://…` (TLS), `memcached://host[:port]`,
 * `zookeeper://host:port[,host:port][/chroot]`, or a client object (an ioredis `Redis` / `Cluster`, …).
 * Stores built from a DSN own their connections: close them with `close()`.
 * @throws InvalidArgumentError naming what is wrong with the DSN (passwords masked).
 * @throws NotSupportedError when the backend's client package is not installed.
 */
export function createStore(dsnOrClient: string | object): ClosableStore {
  return fromBackends(STORE_BACKENDS, dsnOrClient, { call: 'createStore()', dsn: 'store DSN', unsupported: UNSUPPORTED_SCHEMES });
}
