// PostgreSqlStore: Symfony's PostgreSqlStore (session advisory locks, crc32 lock ids,
// in-process bookkeeping per connection) on `pg`, so that PHP and Node holders exclude
// each other; plus what Symfony lacks: waits the server wakes, bounded by a
// transaction-local lock_timeout and cancelled with pg_cancel_backend, that never block
// the store's other operations (wait-connections.ts: "wait, then try"), and lost
// connections reported to the Locks that held locks on them (session.ts).
// No TTL: a lock lives until released or until its session ends.
import { InvalidArgumentError, NotSupportedError, LockConflictedError } from '../../core/errors.js';
import type { Key } from '../../core/key.js';
import type { BlockingSharedLockStore, BlockingStore, VerifiedDeleteStore, WaitOptions } from '../../core/store.js';
import { checkAdvisoryStoreOptions, checkWaitOptions, noExpiry } from '../advisory-store.js';
import type { LockMode } from '../session-locks.js';
import { loadOptionalPeer } from '../optional-peer.js';
import { PinnedSessions, type SessionSource } from '../pinned-sessions.js';
import { checkClient, storageError, type PostgresClient } from './client.js';
import { parsePostgresAdvisoryDsn, type PgConnectionConfig } from './dsn.js';
import { advisoryLockId } from './lock-id.js';
import { pin, sessionOf, type PinnedSession } from './session.js';
import { PgWaitConnections } from './wait-connections.js';

export interface PostgreSqlStoreOptions {
  /**
   * Opens a connected client for one blocking wait (waits run beside the pinned
   * session, never on it). Default: a new connection with the pinned client's own
   * settings (`new Client(client.connectionParameters)`); give this for a PoolClient
   * (`() => pool.connect()`: it is released back, or destroyed after an abort).
   */
  waitConnection?: () => Promise<PostgresClient>;
}

export class PostgreSqlStore implements BlockingStore, BlockingSharedLockStore, VerifiedDeleteStore {
  /** delete() unlocks on the server and knows the answer: no exists() after it. */
  readonly verifiesDelete = true;
  readonly #sessions: PinnedSessions<PinnedSession, number>;
  readonly #waits: PgWaitConnections;

  /**
   * `clientOrDsn`: a connected `pg.Client`, a `PoolClient` from `await pool.connect()`
   * (not a Pool), or a `postgresql+advisory://` DSN (the store then opens, reopens after
   * a loss, and closes its own connections; `pg` must be installed).
   */
  constructor(clientOrDsn: PostgresClient | string, options: PostgreSqlStoreOptions = {}) {
    checkAdvisoryStoreOptions('PostgreSqlStore', options, 'a connected client');
    let open: () => Promise<PostgresClient>;
    let source: SessionSource<PinnedSession>;
    if (typeof clientOrDsn === 'string') {
      open = connector(parsePostgresAdvisoryDsn(clientOrDsn.trim()));
      const connect = open;
      source = { kind: 'owned', connect: async () => pin(await connect()) };
    } else {
      const client = checkClient(clientOrDsn);
      source = { kind: 'client', session: sessionOf(client) };
      open = () => openLike(client);
    }
    this.#sessions = new PinnedSessions({
      store: 'PostgreSqlStore',
      source,
      lockId: advisoryLockId,
      storageError,
      end: async (session) => {
        await session.client.end?.().catch(() => {});
      },
    });
    this.#waits = new PgWaitConnections(options.waitConnection ?? open);
  }

  async save(key: Key): Promise<void> {
    await this.#sessions.call('acquire', key, (s, id) => s.locks.save(id, key, 'exclusive', key.resource));
    noExpiry(key);
  }

  async saveRead(key: Key): Promise<void> {
    await this.#sessions.call('acquire', key, (s, id) => s.locks.save(id, key, 'shared', key.resource));
    noExpiry(key);
  }

  async waitAndSave(key: Key, options: WaitOptions = {}): Promise<void> {
    await this.#wait(key, 'exclusive', options);
  }

  async waitAndSaveRead(key: Key, options: WaitOptions = {}): Promise<void> {
    await this.#wait(key, 'shared', options);
  }

  /** Advisory locks do not expire: only checks that `key` still holds the lock. */
  async putOffExpiration(key: Key, _ttl: number): Promise<void> {
    if (!(await this.exists(key))) throw new LockConflictedError(`The "${key.resource}" lock is not held by this owner.`);
  }

  async delete(key: Key): Promise<void> {
    const session = this.#sessions.current();
    if (!session) return;
    await this.#sessions.call('release', key, (s, id) => s.locks.delete(id, key), session);
  }

  async exists(key: Key): Promise<boolean> {
    const session = this.#sessions.current();
    if (!session || session.locks.lost !== null) return false;
    return this.#sessions.call('check', key, (s, id) => s.locks.exists(id, key), session);
  }

  /**
   * Closes the wait connections, and the pinned connection if this store opened it
   * (from a DSN): its locks are released by the server. A client you passed in stays
   * yours to close.
   */
  async close(): Promise<void> {
    await this.#sessions.close(() => this.#waits.close());
  }

  async #wait(key: Key, mode: LockMode, options: WaitOptions): Promise<void> {
    checkWaitOptions(options);
    await this.#sessions.call(
      'acquire',
      key,
      (s, id) =>
        s.locks.wait(id, key, mode, key.resource, options, (left, signal) =>
          this.#waits.waitUntilFree(id, mode, left, signal, s.client),
        ),
      undefined,
      options.signal,
    );
    noExpiry(key);
  }
}

/** Opens connections for a DSN store (pg is loaded on first use, not at import). */
function connector(config: PgConnectionConfig): () => Promise<PostgresClient> {
  return async () => {
    const pg = loadOptionalPeer<{ Client?: PgClientClass; default?: { Client?: PgClientClass } }>('pg', 'A postgresql+advisory:// store');
    const Client = pg.Client ?? pg.default?.Client;
    if (typeof Client !== 'function') throw new NotSupportedError('The installed pg package exports no Client class (pg 8 is needed).');
    const client = new Client(config);
    // Failures reach callers through the store's errors (and lost locks), never as an
    // unhandled 'error' event.
    client.on('error', () => {});
    await client.connect();
    return client;
  };
}

type PgClientClass = new (config: unknown) => PostgresClient & { connect(): Promise<void> };

/** A new connection with `client`'s settings (pg.Client keeps them in connectionParameters). */
async function openLike(client: PostgresClient): Promise<PostgresClient> {
  const source = client as unknown as { constructor?: PgClientClass; connectionParameters?: unknown };
  if (typeof source.constructor !== 'function' || typeof source.connectionParameters !== 'object' || source.connectionParameters === null) {
    throw new InvalidArgumentError(
      'PostgreSqlStore cannot open a wait connection like this client (it is not a pg.Client): give the "waitConnection" option.',
    );
  }
  const opened = new source.constructor(source.connectionParameters);
  opened.on('error', () => {});
  await opened.connect();
  return opened;
}
