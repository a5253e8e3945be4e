// `lock+<any lock-store DSN>`: permits as slot locks on that store (LockPermitStore).
import { InvalidArgumentError } from '../core/errors.js';
import { LockPermitStore } from '../semaphore/lock-permit-store.js';
import { createStore } from './create-store.js';
import { redactDsn } from './dsn.js';
import type { PermitBackend } from './backend.js';

export const lockPermitBackend: PermitBackend = {
  dsnForms: ['lock+<lock store DSN> (e.g. lock+flock, lock+postgres://…)'],
  accepts: (dsn) => /^lock\+/i.test(dsn),
  fromDsn(dsn) {
    const inner = dsn.slice('lock+'.length);
    if (inner === '') throw new InvalidArgumentError(`Invalid permit store DSN "${redactDsn(dsn)}": "lock+" must be followed by a lock store DSN (e.g. lock+flock).`);
    if (/^lock\+/i.test(inner)) throw new InvalidArgumentError(`Invalid permit store DSN "${redactDsn(dsn)}": "lock+" appears twice.`);
    return ownLockStore(new LockPermitStore(createStore(inner)));
  },
};

/** A LockPermitStore made from a DSN owns its lock store: close() closes it. */
function ownLockStore(permits: LockPermitStore): LockPermitStore & { close(): Promise<void> } {
  const owned = permits as LockPermitStore & { close(): Promise<void> };
  owned.close = async () => {
    await (permits.store as { close?(): Promise<void> }).close?.();
  };
  return owned;
}
