// The pinned session a PostgreSqlStore keeps its locks on, and its bookkeeping.
// - A client the user passes in: one SessionLocks per client object, shared by every
//   store on that client (as Symfony's registry per connection), so two stores on one
//   client see each other's locks. The store never closes it.
// - A DSN: the store opens its own connection on first use and a new one after a loss
//   (the locks of the lost one are gone; their Locks were told).
// Either way the connection's `error` and `end` events mark its locks lost: every Lock
// holding one has its signal aborted, and no 'error' event goes unhandled.
import { LockStorageError } from '../../core/errors.js';
import { SessionLocks, type LockServer } from '../session-locks.js';
import { firstRow, type PostgresClient } from './client.js';
import { IS_HELD, pgLockMode, tryLock, unlock } from './queries.js';

export interface PinnedSession {
  client: PostgresClient;
  locks: SessionLocks<number>;
}

const sessions = new WeakMap<PostgresClient, PinnedSession>();

/** The session of a client the user owns (one per client object). */
export function sessionOf(client: PostgresClient): PinnedSession {
  let session = sessions.get(client);
  if (!session) {
    session = pin(client);
    sessions.set(client, session);
  }
  return session;
}

/** Bookkeeping and loss detection for `client`. */
export function pin(client: PostgresClient): PinnedSession {
  const server: LockServer<number> = {
    async tryLock(id, mode) {
      return firstRow(await client.query(tryLock(mode), [String(id)]))?.ok === true;
    },
    async unlock(id, mode) {
      await client.query(unlock(mode), [String(id)]);
    },
    async isHeld(id, mode) {
      return Number(firstRow(await client.query(IS_HELD, [String(id), pgLockMode(mode)]))?.n) > 0;
    },
  };
  const locks = new SessionLocks(server, 'PostgreSQL');
  client.on('error', (error) => locks.markLost(error));
  client.on('end', () => locks.markLost(new LockStorageError('The PostgreSQL connection ended.')));
  return { client, locks };
}
