// SqlStore: Symfony's PdoStore / DoctrineDbalStore lock table (`lock_keys(key_id,
// key_token, key_expiration)`, sha256 ids, the database's clock) on PostgreSQL, MySQL /
// MariaDB and SQLite, so that PHP and Node holders exclude each other; plus what Symfony
// lacks: waits (woken by NOTIFY on PostgreSQL, polled elsewhere, bounded by the holder's
// expiry), fencing tokens on PostgreSQL, and a save that never aborts the caller's
// transaction. SQL per database: dialects/; drivers: adapters/.
import { createHash } from 'node:crypto';
import { InvalidArgumentError, LockConflictedError, describeValue } from '../../core/errors.js';
import { validateTimeout, validateTtl } from '../../core/duration.js';
import { setFencingToken } from '../../core/fencing.js';
import { markLifetimeApplied, requestedLifetime } from '../../core/lifetime-request.js';
import type { Key } from '../../core/key.js';
import type { BlockingStore, VerifiedDeleteStore, WaitOptions } from '../../core/store.js';
import { checkNotExpired } from '../expiring.js';
import { mysqlConnection } from './adapters/mysql.js';
import { pgConnection } from './adapters/postgres.js';
import { sqliteConnection } from './adapters/sqlite.js';
import {
  isMysqlClient,
  isPgClient,
  isSqliteDatabase,
  storageError,
  type SqlClient,
  type SqlConnection,
} from './client.js';
import type { Dialect } from './dialect.js';
import { mysqlDialect } from './dialects/mysql.js';
import { postgresDialect } from './dialects/postgres.js';
import { sqliteDialect } from './dialects/sqlite.js';
import { PgReleaseNotifier, ReleaseNotifier } from './notifier.js';
import { resolveSqlStoreOptions, type SqlStoreOptions } from './options.js';
import { WaitQueues, type Attempt } from '../wait-queue.js';
import { heldByAnother, symfonyToken } from '../key-state.js';

/** Symfony keeps the token under the store's class name; ours travels with the key too. */
const TOKEN = 'lockwright:sql:token';

/** Set for the duration of a constructor call by ownedSqlStore(). */
let adopting: { secrets: string[] } | null = null;

/** A store over a client createStore() made from a DSN: close() ends it. */
export function ownedSqlStore(client: SqlClient, options: SqlStoreOptions, secrets: string[]): SqlStore {
  adopting = { secrets };
  try {
    return new SqlStore(client, options);
  } finally {
    adopting = null;
  }
}

export class SqlStore implements BlockingStore, VerifiedDeleteStore {
  /** delete is one statement (`WHERE id AND token`): Lock.release() needs no exists() after it. */
  readonly verifiesDelete = true;
  readonly #connection: SqlConnection;
  readonly #dialect: Dialect;
  readonly #gcProbability: number;
  readonly #initialTtl: number;
  readonly #secrets: readonly string[];
  readonly #notifier: ReleaseNotifier;
  readonly #waits: WaitQueues;
  #ensured: Promise<void> | null = null;
  readonly #gates = new Map<string, Promise<void>>();

  /**
   * `client`: a pg `Pool` or `Client`, a mysql2 pool or connection, or a better-sqlite3
   * `Database`; it stays yours to close. With a pg Pool, waits are woken by NOTIFY (the
   * store borrows one pooled connection for LISTEN while someone waits).
   */
  constructor(client: SqlClient, options: SqlStoreOptions = {}) {
    const owned = adopting;
    adopting = null;
    const resolved = resolveSqlStoreOptions(options);
    if (isSqliteDatabase(client)) {
      this.#connection = sqliteConnection(client, owned !== null);
      this.#dialect = sqliteDialect(resolved.names);
    } else if (isMysqlClient(client)) {
      this.#connection = mysqlConnection(client, owned !== null);
      this.#dialect = mysqlDialect(resolved.names);
    } else if (isPgClient(client)) {
      const connection = pgConnection(client, owned !== null);
      const dialect = postgresDialect(resolved.names, resolved.fencing ?? true);
      this.#connection = connection;
      this.#dialect = dialect;
      if (connection.openListener) this.#notifier = new PgReleaseNotifier(connection.openListener, dialect.channel);
    } else {
      throw new InvalidArgumentError(
        `SqlStore needs a pg Pool or Client, a mysql2 pool or connection, or a better-sqlite3 Database; got ${describeValue(client)}.`,
      );
    }
    if (resolved.fencing === true && this.#dialect.name !== 'postgres') {
      throw new InvalidArgumentError(
        `SqlStore option "fencing" is only available on PostgreSQL (a sequence beside the table); got true for ${this.#dialect.name}.`,
      );
    }
    this.#notifier ??= new ReleaseNotifier();
    this.#gcProbability = resolved.gcProbability;
    this.#initialTtl = resolved.initialTtl;
    this.#secrets = owned?.secrets ?? [];
    this.#waits = new WaitQueues(resolved.pollInterval ?? (this.#notifier.notified ? 1_000 : 100), this.#notifier);
  }

  /** Which SQL the store speaks: 'postgres', 'mysql' (also MariaDB) or 'sqlite'. */
  get dialect(): 'postgres' | 'mysql' | 'sqlite' {
    return this.#dialect.name;
  }

  /**
   * Creates the lock table with Symfony's DDL for this database (and, on PostgreSQL with
   * fencing, its sequence). The store also creates what is missing on first use; call
   * this at deploy time when the application's role may not create tables.
   * @throws LockStorageError when the table exists already, or the database refused.
   */
  async createTable(): Promise<void> {
    try {
      for (const statement of this.#dialect.createTableStatements) await this.#connection.query(statement, []);
    } catch (error) {
      throw storageError('create the table of', '*', error, this.#secrets);
    }
    this.#ensured = Promise.resolve();
  }

  /** Deletes every expired row now (saves also do so, with `gcProbability`). */
  async prune(): Promise<void> {
    await this.#run('prune', '*', (c) => this.#dialect.prune(c));
  }

  /** Gives back the LISTEN connection; a store made from a DSN also closes its pool or file. */
  async close(): Promise<void> {
    this.#notifier.close();
    await this.#connection.close();
  }

  async save(key: Key): Promise<void> {
    if (!(await this.#trySave(key, false)).granted) throw heldByAnother(key);
  }

  async waitAndSave(key: Key, options: WaitOptions = {}): Promise<void> {
    if (options.timeout !== undefined) validateTimeout(options.timeout, 'options.timeout');
    options.signal?.throwIfAborted();
    const id = idOf(key);
    // Waiters of one id pass this gate one by one, so that they queue in call order
    // although each first tries on its own (and a pool may answer out of order).
    const previous = this.#gates.get(id);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    this.#gates.set(id, gate);
    try {
      if (previous) await previous;
      options.signal?.throwIfAborted();
      // A free lock is taken at once, before listening; the queue then listens first and
      // tries again, so that no release is missed.
      if (this.#waits.waiting(id) === 0) {
        if ((await this.#trySave(key, false)).granted) return;
        if (options.timeout === 0) {
          throw new LockConflictedError(`Timed out after 0 ms waiting for the "${key.resource}" lock.`);
        }
      }
      const source = {
        attempt: () => {
          // Each try stands for a fresh acquisition: the time spent waiting is not held time.
          key.resetLifetime();
          return this.#trySave(key, true);
        },
        abandon: () => this.delete(key),
      };
      // wait() queues the waiter before it returns: the gate may open behind it.
      const waiting = this.#waits.wait(id, source, options, `the "${key.resource}" lock`);
      open();
      return await waiting;
    } finally {
      open();
      if (this.#gates.get(id) === gate) this.#gates.delete(id);
    }
  }

  /**
   * Extends our row to `ttl` ms from now by the database clock (rounded up to a whole
   * second, as the column keeps seconds). Unlike Symfony, it never takes over a row
   * another owner wrote after ours expired: that lock was lost, and stays lost.
   */
  async putOffExpiration(key: Key, ttl: number): Promise<void> {
    validateTtl(ttl);
    key.reduceLifetime(ttl);
    const token = symfonyToken(key, TOKEN);
    const matched = await this.#run('refresh', key.resource, (c) => this.#dialect.putOff(c, idOf(key), token, ttl / 1000));
    if (matched === 0) throw heldByAnother(key);
    await checkNotExpired(this, key);
  }

  async delete(key: Key): Promise<void> {
    const token = key.getState<string | undefined>(TOKEN);
    if (token === undefined) return;
    const id = idOf(key);
    const deleted = await this.#run('release', key.resource, (c) => this.#dialect.delete(c, id, token));
    setFencingToken(key, null);
    if (deleted > 0) this.#notifier.released(id);
  }

  async exists(key: Key): Promise<boolean> {
    const token = key.getState<string | undefined>(TOKEN);
    if (token === undefined) return false;
    return this.#run('check', key.resource, (c) => this.#dialect.exists(c, idOf(key), token));
  }

  /** One try: granted, or how long the holder's row still lives (ms, <0 unknown). */
  async #trySave(key: Key, waiting: boolean): Promise<Attempt> {
    const token = symfonyToken(key, TOKEN);
    const id = idOf(key);
    // The Lock's own TTL when it says which (no refresh after the save), else initialTtl.
    const ttl = requestedLifetime(key) ?? this.#initialTtl;
    key.reduceLifetime(ttl);
    const outcome = await this.#run('acquire', key.resource, (c) => this.#dialect.save(c, id, token, ttl / 1000));
    if (!outcome.granted) {
      let retryIn = outcome.holderTtl ?? -1;
      if (waiting && outcome.holderTtl === undefined) {
        retryIn = await this.#run('acquire', key.resource, (c) => this.#dialect.holderTtl(c, id));
      }
      return { granted: false, retryIn };
    }
    setFencingToken(key, outcome.fencingToken);
    await this.#randomlyPrune();
    await checkNotExpired(this, key);
    markLifetimeApplied(key, ttl);
    return { granted: true };
  }

  async #randomlyPrune(): Promise<void> {
    const gc = this.#gcProbability;
    if (gc <= 0 || (gc < 1 && Math.random() > gc)) return;
    try {
      await this.#dialect.prune(this.#connection);
    } catch {
      // Clean-up only: the lock is held, and the next prune will catch up.
    }
  }

  /** Runs `work` once the table exists; a table dropped meanwhile is created again, once. */
  async #run<T>(action: string, resource: string, work: (connection: SqlConnection) => Promise<T>): Promise<T> {
    try {
      await this.#ensureTable();
      try {
        return await work(this.#connection);
      } catch (error) {
        if (!this.#dialect.isMissingTable(error)) throw error;
        this.#ensured = null;
        await this.#ensureTable();
        return await work(this.#connection);
      }
    } catch (error) {
      throw storageError(action, resource, error, this.#secrets);
    }
  }

  #ensureTable(): Promise<void> {
    if (this.#ensured === null) {
      const ensuring = this.#dialect.ensureTable(this.#connection);
      this.#ensured = ensuring;
      // A failure (server down) is asked again next time.
      ensuring.catch(() => {
        if (this.#ensured === ensuring) this.#ensured = null;
      });
    }
    return this.#ensured;
  }
}

/** Symfony's row id: the lowercase hex SHA-256 of the resource (UTF-8). */
export function lockId(resource: string): string {
  return createHash('sha256').update(resource, 'utf8').digest('hex');
}

function idOf(key: Key): string {
  return lockId(key.resource);
}


