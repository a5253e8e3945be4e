// createPermitStore: a permit store (where a semaphore's permits live) from a DSN or a
// client, as Symfony Semaphore's StoreFactory. The backends live in their folders and are
// listed in permit-backends.ts.
import type { PermitStore } from '../semaphore/permit-store.js';
import { fromBackends } from './backend.js';
import { PERMIT_BACKENDS } from './permit-backends.js';

/** A permit store that may hold connections: call `close()` when done. */
export type ClosablePermitStore = PermitStore & { close?(): Promise<void> };

/**
 * A permit store from a DSN or a client: `semaphore` / `semaphore://namespace` (System V
 * counting semaphores, SysvPermitStore), `lock+<lock store DSN>` (slot locks on any lock
 * store: `lock+flock`, `lock+postgres://…`), and the backends' own forms listed in the
 * error for an unknown DSN. Stores built from a DSN own their connections: close them
 * with `close()`. For a lock store object you already have, use `new LockPermitStore(store)`.
 * @throws InvalidArgumentError naming what is wrong with the DSN (passwords masked).
 * @throws NotSupportedError when the backend's client package is not installed.
 */
export function createPermitStore(dsnOrClient: string | object): ClosablePermitStore {
  return fromBackends(PERMIT_BACKENDS, dsnOrClient, {
    call: 'createPermitStore()',
    dsn: 'permit store DSN',
    objectHint: ' For a lock store you already have, use new LockPermitStore(store).',
  });
}
