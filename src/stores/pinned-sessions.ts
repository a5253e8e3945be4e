// Where an advisory-lock store (PostgreSqlStore, MysqlStore) gets its pinned session:
// the one of a connection the user passed in (theirs to close), or one the store opens
// from a DSN on first use, and again after a loss (the lost one's locks are gone, and
// their Locks were told by session-locks.ts). Both stores keep their locks on exactly
// one session at a time, so this logic is the same for both; what differs (the session
// object, how a resource names its lock, how a driver failure reads) is given.
import { LockError, LockStorageError } from '../core/errors.js';
import type { Key } from '../core/key.js';
import type { SessionLocks } from './session-locks.js';

/** A pinned connection with its bookkeeping (each backend's session.ts). */
export interface AdvisorySession {
  locks: Pick<SessionLocks<unknown>, 'lost' | 'markLost'>;
}

/** Where the pinned session comes from: the user's connection, or connections the store opens. */
export type SessionSource<S> = { kind: 'client'; session: S } | { kind: 'owned'; connect: () => Promise<S> };

export interface PinnedSessionsOptions<S, Id> {
  /** The store's class name, for "This … is closed". */
  store: string;
  source: SessionSource<S>;
  /** The server's lock id (or name) of a resource. */
  lockId: (resource: string) => Id;
  /** A driver failure during `action` on `resource`, as a LockStorageError. */
  storageError: (action: string, resource: string, cause: unknown) => LockStorageError;
  /** Ends a session the store opened itself. */
  end: (session: S) => Promise<void>;
}

export class PinnedSessions<S extends AdvisorySession, Id> {
  readonly #options: PinnedSessionsOptions<S, Id>;
  #owned: Promise<S> | null = null;
  /** The last session an owning store connected (readable without awaiting). */
  #settled: S | null = null;
  #closed = false;

  constructor(options: PinnedSessionsOptions<S, Id>) {
    this.#options = options;
  }

  /** The session now in use, without opening one. */
  current(): S | null {
    const source = this.#options.source;
    return source.kind === 'client' ? source.session : this.#settled;
  }

  /**
   * Runs `fn` on the pinned session (`given`, or the current one, opened if need be);
   * driver failures become LockStorageError, lock errors and the abort of `signal` pass.
   */
  async call<T>(action: string, key: Key, fn: (session: S, id: Id) => Promise<T>, given?: S, signal?: AbortSignal): Promise<T> {
    const session = given ?? (await this.#session(action, key));
    try {
      return await fn(session, this.#options.lockId(key.resource));
    } catch (error) {
      if (error instanceof LockError || (signal?.aborted && error === signal.reason)) throw error;
      throw this.#options.storageError(action, key.resource, error);
    }
  }

  /**
   * No session is opened any more; `before` runs (the store closes its wait connections),
   * then the session the store opened is closed, its Locks told now rather than at some
   * event. A connection the user passed in stays theirs to close.
   */
  async close(before: () => Promise<void>): Promise<void> {
    this.#closed = true;
    await before();
    const owned = this.#owned;
    this.#owned = null;
    if (owned) {
      const session = await owned.catch(() => null);
      session?.locks.markLost(new LockStorageError('The store was closed.'));
      if (session) await this.#options.end(session);
    }
  }

  async #session(action: string, key: Key): Promise<S> {
    const { store, source, storageError } = this.#options;
    if (this.#closed) throw new LockStorageError(`This ${store} is closed (while trying to ${action} the "${key.resource}" lock).`);
    if (source.kind === 'client') return source.session;
    if (this.#owned === null || (this.#settled && this.#settled.locks.lost !== null)) {
      const opening = source.connect().then((session) => (this.#settled = session));
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
