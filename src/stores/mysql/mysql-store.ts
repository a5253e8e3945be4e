// MysqlStore: Symfony 8.2's MysqlStore (GET_LOCK named locks, sha256 names, in-process
// bookkeeping per connection) on mysql2, for MySQL 5.7.5+ and MariaDB 10.0.2+ (RELEASE_ALL_LOCKS
// after an aborted wait needs MariaDB 10.5), so that PHP and Node holders exclude each
// other; plus what Symfony lacks: waits the server wakes (GET_LOCK with a positive
// timeout: MariaDB refuses Symfony's -1), bounded and aborted with KILL QUERY, that never
// block the store's other operations (wait-connections.ts), and lost connections
// reported to the Locks that held locks on them. Exclusive only: named locks have no
// shared mode, so Lock.acquireRead() takes the lock exclusively (as Symfony's does).
import { InvalidArgumentError, LockConflictedError, NotSupportedError } from '../../core/errors.js';
import type { Key } from '../../core/key.js';
import type { BlockingStore, VerifiedDeleteStore, WaitOptions } from '../../core/store.js';
import { checkAdvisoryStoreOptions, checkWaitOptions, noExpiry } from '../advisory-store.js';
import { loadOptionalPeer } from '../optional-peer.js';
import { PinnedSessions, type SessionSource } from '../pinned-sessions.js';
import { checkConnection, storageError, type MysqlConnection } from './client.js';
import { parseMysqlAdvisoryDsn, type MysqlConnectionConfig } from './dsn.js';
import { lockName } from './queries.js';
import { pin, sessionOf, type PinnedSession } from './session.js';
import { MysqlWaitConnections } from './wait-connections.js';

export interface MysqlStoreOptions {
  /**
   * Opens a connected mysql2 promise connection for one blocking wait (waits run beside
   * the pinned session, never on it). Default: a new connection with the pinned
   * connection's own settings; give this for pool connections
   * (`() => pool.getConnection()`).
   */
  waitConnection?: () => Promise<MysqlConnection>;
}

export class MysqlStore implements BlockingStore, VerifiedDeleteStore {
  readonly verifiesDelete = true;
  readonly #sessions: PinnedSessions<PinnedSession, string>;
  readonly #waits: MysqlWaitConnections;

  /**
   * `connectionOrDsn`: a connected mysql2 connection (promise API, or callback API, used
   * through its `.promise()`), a pool's connection from `getConnection()` (not a pool),
   * or a `mysql+advisory://` / `mariadb+advisory://` DSN (the store then opens, reopens
   * after a loss, and closes its own connections; `mysql2` must be installed).
   */
  constructor(connectionOrDsn: MysqlConnection | object | string, options: MysqlStoreOptions = {}) {
    checkAdvisoryStoreOptions('MysqlStore', options, 'a connected mysql2 promise connection');
    let open: () => Promise<MysqlConnection>;
    let source: SessionSource<PinnedSession>;
    if (typeof connectionOrDsn === 'string') {
      open = connector(parseMysqlAdvisoryDsn(connectionOrDsn.trim()));
      const connect = open;
      source = { kind: 'owned', connect: async () => pin(await connect()) };
    } else {
      const connection = checkConnection(connectionOrDsn);
      source = { kind: 'client', session: sessionOf(connectionOrDsn as object, connection) };
      open = () => openLike(connection);
    }
    this.#sessions = new PinnedSessions({
      store: 'MysqlStore',
      source,
      lockId: lockName,
      storageError,
      end: async (session) => {
        await session.connection.end?.().catch(() => {});
      },
    });
    this.#waits = new MysqlWaitConnections(options.waitConnection ?? open);
  }

  async save(key: Key): Promise<void> {
    await this.#sessions.call('acquire', key, (s, name) => s.locks.save(name, key, 'exclusive', key.resource));
    noExpiry(key);
  }

  async waitAndSave(key: Key, options: WaitOptions = {}): Promise<void> {
    checkWaitOptions(options);
    await this.#sessions.call(
      'acquire',
      key,
      (s, name) =>
        s.locks.wait(name, key, 'exclusive', key.resource, options, (left, signal) =>
          this.#waits.waitUntilFree(name, left, signal, s.connection),
        ),
      undefined,
      options.signal,
    );
    noExpiry(key);
  }

  /** Named locks do not expire: only checks that `key` still holds the lock. */
  async putOffExpiration(key: Key, _ttl: number): Promise<void> {
    if (!(await this.exists(key))) throw new LockConflictedError(`The "${key.resource}" lock is not held by this owner.`);
  }

  async delete(key: Key): Promise<void> {
    const session = this.#sessions.current();
    if (!session) return;
    await this.#sessions.call('release', key, (s, name) => s.locks.delete(name, key), session);
  }

  async exists(key: Key): Promise<boolean> {
    const session = this.#sessions.current();
    if (!session || session.locks.lost !== null) return false;
    return this.#sessions.call('check', key, (s, name) => s.locks.exists(name, key), session);
  }

  /** Closes the wait connections, and the pinned one if this store opened it (from a DSN). */
  async close(): Promise<void> {
    await this.#sessions.close(() => this.#waits.close());
  }
}

interface Mysql2Promise {
  createConnection(config: MysqlConnectionConfig): Promise<MysqlConnection>;
}

function loadMysql2(what: string): Mysql2Promise {
  const loaded = loadOptionalPeer<Partial<Mysql2Promise> & { default?: Partial<Mysql2Promise> }>('mysql2/promise', what);
  const createConnection = loaded.createConnection ?? loaded.default?.createConnection;
  if (typeof createConnection !== 'function') throw new NotSupportedError('The installed mysql2 package has no promise API (mysql2 3 is needed).');
  return { createConnection };
}

/** Opens connections for a DSN store (mysql2 is loaded on first use, not at import). */
function connector(config: MysqlConnectionConfig): () => Promise<MysqlConnection> {
  return async () => {
    const connection = await loadMysql2('A mysql+advisory:// store').createConnection(config);
    // Failures reach callers through the store's errors, never as an unhandled 'error'.
    connection.on('error', () => {});
    return connection;
  };
}

/** A new connection with the settings of `connection` (mysql2 keeps them in `config`). */
async function openLike(connection: MysqlConnection): Promise<MysqlConnection> {
  const core = (connection as unknown as { connection?: { config?: unknown }; config?: unknown });
  const config = core.connection?.config ?? core.config;
  const mysql2 = loadOptionalPeer<{ Connection?: new (options: { config: unknown }) => CoreConnection }>('mysql2', 'MysqlStore waits');
  if (typeof config !== 'object' || config === null || typeof mysql2.Connection !== 'function') {
    throw new InvalidArgumentError('MysqlStore cannot open a wait connection like this one (it is not a mysql2 connection): give the "waitConnection" option.');
  }
  const opened = new mysql2.Connection({ config });
  await new Promise<void>((resolve, reject) => {
    opened.once('connect', () => resolve());
    opened.once('error', reject);
  });
  return opened.promise();
}

interface CoreConnection {
  once(event: 'connect' | 'error', listener: (arg?: unknown) => void): unknown;
  promise(): MysqlConnection;
}
