// createStore: a store from a DSN string or a client object, as Symfony's StoreFactory.
// The backends themselves (schemes, parsing, client guards) live in their folders and
// are listed in backends.ts.
import { InvalidArgumentError, describeValue } from '../core/errors.js';
import type { PersistingStore } from '../core/store.js';
import { STORE_BACKENDS } from './backends.js';
import { redactDsn } from './dsn.js';

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
  if (typeof dsnOrClient !== 'string') {
    if (dsnOrClient !== null && typeof dsnOrClient === 'object') {
      for (const backend of STORE_BACKENDS) {
        if (backend.isClient?.(dsnOrClient) && backend.fromClient) return backend.fromClient(dsnOrClient);
      }
    }
    const forms = STORE_BACKENDS.flatMap((b) => (b.clientForm ? [b.clientForm] : []));
    throw new InvalidArgumentError(`createStore() needs a DSN string or a client object (${forms.join(', ')}); got ${describeValue(dsnOrClient)}.`);
  }
  const dsn = dsnOrClient.trim();
  for (const backend of STORE_BACKENDS) {
    if (backend.accepts(dsn)) return backend.fromDsn(dsn);
  }
  if (UNSUPPORTED_SCHEMES.test(dsn)) {
    const scheme = dsn.slice(0, dsn.indexOf(':'));
    throw new InvalidArgumentError(`Unsupported store DSN "${redactDsn(dsn)}": lockwright has no "${scheme}" store yet.`);
  }
  const forms = STORE_BACKENDS.flatMap((b) => b.dsnForms);
  throw new InvalidArgumentError(`Unsupported store DSN "${redactDsn(dsn)}" (expected ${forms.slice(0, -1).join(', ')} or ${forms.at(-1)}).`);
}
