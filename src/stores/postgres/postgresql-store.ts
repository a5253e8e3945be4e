// PostgreSqlStore: Symfony's PostgreSqlStore (session advisory locks, crc32 lock ids,
// in-process bookkeeping per connection) on `pg`, so that PHP and Node holders exclude
// each other; plus what Symfony lacks: waits the server wakes, bounded by a
// transaction-local lock_timeout and cancelled with pg_cancel_backend, that never block
// the store's other operations (wait-connections.ts: "wait, then try"), and lost
// connections reported to the Locks that held locks on them (session.ts).
// No TTL: a lock lives until released or until its session ends.
import { InvalidArgumentError, LockConflictedError, LockError, LockStorageError, NotSupportedError, describeValue } from '../../core/errors.js';
import { validateTimeout } from '../../core/duration.js';
import type { Key } from '../../core/key.js';
import { markLifetimeApplied, requestedLifetime } from '../../core/lifetime-request.js';
import type { BlockingSharedLockStore, BlockingStore, VerifiedDeleteStore, WaitOptions } from '../../core/store.js';
import type { LockMode } from '../session-locks.js';
import { loadOptionalPeer } from '../optional-peer.js';
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

/** Where the pinned session comes from: the user's client, or connections the store opens. */
type SessionSource = { kind: 'client'; session: PinnedSession } | { kind: 'owned'; connect: () => Promise<PostgresClient> };

export class PostgreSqlStore implements BlockingStore, BlockingSharedLockStore, VerifiedDeleteStore {
  /** delete() unlocks on the server and knows the answer: no exists() after it. */
  readonly verifiesDelete = true;
  readonly #source: SessionSource;
  readonly #waits: PgWaitConnections;
  #owned: Promise<PinnedSession> | null = null;
  #closed = false;

  /**
   * `clientOrDsn`: a connected `pg.Client`, a `PoolClient` from `await pool.connect()`
   * (not a Pool), or a `postgresql+advisory://` DSN (the store then opens, reopens after
   * a loss, and closes its own connections; `pg` must be installed).
   */
  constructor(clientOrDsn: PostgresClient | string, options: PostgreSqlStoreOptions = {}) {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new InvalidArgumentError(`PostgreSqlStore options must be an object; got ${describeValue(options)}.`);
    }
    for (const name of Object.keys(options)) {
      if (name !== 'waitConnection') {
        throw new InvalidArgumentError(`Unknown PostgreSqlStore option "${name}" (known: waitConnection).`);
      }
    }
    if (options.waitConnection !== undefined && typeof options.waitConnection !== 'function') {
      throw new InvalidArgumentError(
        `PostgreSqlStore option "waitConnection" must be a function returning a connected client; got ${describeValue(options.waitConnection)}.`,
      );
    }
    let open: () => Promise<PostgresClient>;
    if (typeof clientOrDsn === 'string') {
      open = connector(parsePostgresAdvisoryDsn(clientOrDsn.trim()));
      this.#source = { kind: 'owned', connect: open };
    } else {
      const client = checkClient(clientOrDsn);
      this.#source = { kind: 'client', session: sessionOf(client) };
      open = () => openLike(client);
    }
    this.#waits = new PgWaitConnections(options.waitConnection ?? open);
  }

  async save(key: Key): Promise<void> {
    await this.#call('acquire', key, (s, id) => s.locks.save(id, key, 'exclusive', key.resource));
    noExpiry(key);
  }

  async saveRead(key: Key): Promise<void> {
    await this.#call('acquire', key, (s, id) => s.locks.save(id, key, 'shared', key.resource));
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
    const session = this.#current();
    if (!session) return;
    await this.#call('release', key, (s, id) => s.locks.delete(id, key), session);
  }

  async exists(key: Key): Promise<boolean> {
    const session = this.#current();
    if (!session || session.locks.lost !== null) return false;
    return this.#call('check', key, (s, id) => s.locks.exists(id, key), session);
  }

  /**
   * Closes the wait connections, and the pinned connection if this store opened it
   * (from a DSN): its locks are released by the server. A client you passed in stays
   * yours to close.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#waits.close();
    const owned = this.#owned;
    this.#owned = null;
    if (owned) {
      const session = await owned.catch(() => null);
      // Its locks end with it: the Locks holding them hear it now, not at some event.
      session?.locks.markLost(new LockStorageError('The store was closed.'));
      await session?.client.end?.().catch(() => {});
    }
  }

  async #wait(key: Key, mode: LockMode, options: WaitOptions): Promise<void> {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`Wait options must be an object; got ${describeValue(options)}.`);
    }
    if (options.timeout !== undefined) validateTimeout(options.timeout, 'options.timeout');
    options.signal?.throwIfAborted();
    await this.#call(
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

  /** Runs `fn` on the pinned session; driver failures become LockStorageError. */
  async #call<T>(
    action: string,
    key: Key,
    fn: (session: PinnedSession, id: number) => Promise<T>,
    given?: PinnedSession,
    signal?: AbortSignal,
  ): Promise<T> {
    const session = given ?? (await this.#session(action, key));
    try {
      return await fn(session, advisoryLockId(key.resource));
    } catch (error) {
      if (error instanceof LockError || (signal?.aborted && error === signal.reason)) throw error;
      throw storageError(action, key.resource, error);
    }
  }

  /** The session now in use, without opening one. */
  #current(): PinnedSession | null {
    if (this.#source.kind === 'client') return this.#source.session;
    return settled.get(this) ?? null;
  }

  async #session(action: string, key: Key): Promise<PinnedSession> {
    if (this.#closed) throw new LockStorageError(`This PostgreSqlStore is closed (while trying to ${action} the "${key.resource}" lock).`);
    const source = this.#source;
    if (source.kind === 'client') return source.session;
    const current = settled.get(this);
    if (this.#owned === null || (current && current.locks.lost !== null)) {
      const opening = source.connect().then((client) => {
        const session = pin(client);
        settled.set(this, session);
        return session;
      });
      this.#owned = opening;
      opening.catch(() => {
        if (this.#owned === opening) this.#owned = null;
      });
    }
    try {
      return await this.#owned!;
    } catch (error) {
      throw storageError(action, key.resource, error);
    }
  }
}

/** The last session an owning store connected (readable without awaiting). */
const settled = new WeakMap<PostgreSqlStore, PinnedSession>();

/**
 * Advisory locks never expire, so whatever TTL the Lock asks for is as good as applied:
 * it need not follow the save with a refresh (a pg_locks round trip) to set it.
 */
function noExpiry(key: Key): void {
  const ttl = requestedLifetime(key);
  if (ttl !== null) markLifetimeApplied(key, ttl);
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
