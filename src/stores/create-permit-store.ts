// createPermitStore: a permit store (where a semaphore's permits live) from a DSN or a
// client, as Symfony Semaphore's StoreFactory. The backends live in their folders and are
// listed in permit-backends.ts.
import { InvalidArgumentError, describeValue } from '../core/errors.js';
import type { PermitStore } from '../semaphore/permit-store.js';
import { redactDsn } from './dsn.js';
import { PERMIT_BACKENDS } from './permit-backends.js';

/** A permit store that may hold connections: call `close()` when done. */
export type ClosablePermitStore = PermitStore & { close?(): Promise<void> };

/**
 * A permit store from a DSN or a client: `lock+<lock store DSN>` (slot locks on any lock
 * store: `lock+flock`, `lock+postgres://…`), and the backends' own forms listed in the
 * error for an unknown DSN. Stores built from a DSN own their connections: close them
 * with `close()`. For a lock store object you already have, use `new LockPermitStore(store)`.
 * @throws InvalidArgumentError naming what is wrong with the DSN (passwords masked).
 * @throws NotSupportedError when the backend's client package is not installed.
 */
export function createPermitStore(dsnOrClient: string | object): ClosablePermitStore {
  if (typeof dsnOrClient !== 'string') {
    if (dsnOrClient !== null && typeof dsnOrClient === 'object') {
      for (const backend of PERMIT_BACKENDS) {
        if (backend.isClient?.(dsnOrClient) && backend.fromClient) return backend.fromClient(dsnOrClient);
      }
    }
    const forms = PERMIT_BACKENDS.flatMap((b) => (b.clientForm ? [b.clientForm] : []));
    const clients = forms.length > 0 ? ` or a client object (${forms.join(', ')})` : '';
    throw new InvalidArgumentError(
      `createPermitStore() needs a DSN string${clients}; got ${describeValue(dsnOrClient)}. For a lock store you already have, use new LockPermitStore(store).`,
    );
  }
  const dsn = dsnOrClient.trim();
  for (const backend of PERMIT_BACKENDS) {
    if (backend.accepts(dsn)) return backend.fromDsn(dsn);
  }
  const forms = PERMIT_BACKENDS.flatMap((b) => b.dsnForms);
  throw new InvalidArgumentError(`Unsupported permit store DSN "${redactDsn(dsn)}" (expected ${forms.join(', ')}).`);
}
