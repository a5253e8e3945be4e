// The pinned session a MysqlStore keeps its locks on, and its bookkeeping: as
// ../postgres/session.ts (one SessionLocks per connection object, shared by every store
// on it; a DSN store opens its own and reopens after a loss; `error`/`end` mark the
// locks lost). Names, not numbers, identify locks here.
import { LockStorageError } from '../../core/errors.js';
import { SessionLocks, type LockServer } from '../session-locks.js';
import { firstRow, type MysqlConnection } from './client.js';
import { IS_HELD, TRY_LOCK, UNLOCK } from './queries.js';

export interface PinnedSession {
  connection: MysqlConnection;
  locks: SessionLocks<string>;
}

const sessions = new WeakMap<object, PinnedSession>();

/** The session of a connection the user owns; `identity` is the object they passed. */
export function sessionOf(identity: object, connection: MysqlConnection): PinnedSession {
  let session = sessions.get(identity);
  if (!session) {
    session = pin(connection);
    sessions.set(identity, session);
  }
  return session;
}

export function pin(connection: MysqlConnection): PinnedSession {
  const server: LockServer<string> = {
    async tryLock(name) {
      const ok = firstRow(await connection.query(TRY_LOCK, [name, name]))?.ok;
      if (ok === null || ok === undefined) throw new LockStorageError('GET_LOCK returned NULL.');
      return Number(ok) !== 0; // 1 granted; -1 the session held it already
    },
    async unlock(name) {
      await connection.query(UNLOCK, [name]);
    },
    async isHeld(name) {
      return Number(firstRow(await connection.query(IS_HELD, [name]))?.held) === 1;
    },
  };
  const locks = new SessionLocks(server, 'MySQL');
  connection.on('error', (error) => locks.markLost(error));
  connection.on('end', () => locks.markLost(new LockStorageError('The MySQL connection ended.')));
  return { connection, locks };
}
