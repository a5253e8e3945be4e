// The in-process side of advisory locks, for PostgreSqlStore and MysqlStore.
//
// A database session holds an advisory lock for itself, not for one Key: a second
// request from the same session is granted (locks stack). Symfony therefore keeps an
// InMemoryStore per connection, so that two Keys of one process conflict although the
// session would let both in. This is that bookkeeping, plus what Symfony lacks:
//   - one holder record per *lock id*, not per resource, so that two resources whose
//     ids collide (crc32 on PostgreSQL) exclude each other here as they do across
//     processes, and the session never stacks a second hold it would have to undo;
//   - every operation on an id runs alone (a small per-id queue), so that the session's
//     holds and the record never disagree while a round trip is in flight;
//   - waiters queue here first in, first out; only the first waiter of an id asks the
//     server to wait (on another connection, see WaitUntilFree), so a
//     process never queues against itself on the server, and the pinned connection
//     never runs a statement that blocks.
// The SQL lives behind LockServer and WaitUntilFree, one of each per backend.
import { LockConflictedError, LockStorageError } from '../core/errors.js';
import type { Key } from '../core/key.js';
import { reportKeyLost } from '../core/key-loss.js';
import { setLongTimeout } from '../core/wait.js';

export type LockMode = 'exclusive' | 'shared';

/** What the pinned session can do on the server, without ever blocking. */
export interface LockServer<Id> {
  /** One try; true when the session now holds `id` in `mode` (once). */
  tryLock(id: Id, mode: LockMode): Promise<boolean>;
  /** Drops the session's hold of `id` in `mode`. */
  unlock(id: Id, mode: LockMode): Promise<void>;
  /** Whether the server still shows the session holding `id` in `mode`. */
  isHeld(id: Id, mode: LockMode): Promise<boolean>;
}

/**
 * Waits on the server (on a connection of its own) until the lock could be granted,
 * holding nothing afterwards. 'timeout' when `timeout` ms ran out; rejects with
 * `signal.reason` when aborted, once the server let go of the wait.
 */
export type WaitUntilFree = (timeout: number | undefined, signal: AbortSignal | undefined) => Promise<'free' | 'timeout'>;

interface Waiter {
  key: Key;
  mode: LockMode;
  /** Called when it is this waiter's turn (first in line, compatible here). */
  wake: (() => void) | null;
}

interface Entry {
  writer: Key | null;
  readers: Set<Key>;
  /** The tail of the per-id operation queue. */
  tail: Promise<unknown>;
  waiters: Waiter[];
}

export class SessionLocks<Id> {
  readonly #server: LockServer<Id>;
  readonly #what: string;
  readonly #entries = new Map<Id, Entry>();
  #lost: unknown = null;

  /** `what` names the backend in messages ("PostgreSQL"). */
  constructor(server: LockServer<Id>, what: string) {
    this.#server = server;
    this.#what = what;
  }

  /** Set once the session ended; every later call fails with it (held keys are gone). */
  get lost(): unknown {
    return this.#lost;
  }

  /** The mode `key` holds `id` in here, or null. */
  modeOf(id: Id, key: Key): LockMode | null {
    const entry = this.#entries.get(id);
    if (!entry) return null;
    if (entry.writer === key) return 'exclusive';
    return entry.readers.has(key) ? 'shared' : null;
  }

  /** One try, as Symfony's save/saveRead (with promotion and demotion). */
  save(id: Id, key: Key, mode: LockMode, resource: string): Promise<void> {
    return this.#exclusive(id, async (entry) => {
      if ((await this.#attempt(id, entry, key, mode)) !== 'granted') throw conflict(resource);
    });
  }

  /** Waits (first in, first out here, then on the server) until `key` holds `id` in `mode`. */
  async wait(
    id: Id,
    key: Key,
    mode: LockMode,
    resource: string,
    options: { timeout?: number | undefined; signal?: AbortSignal | undefined },
    waitUntilFree: WaitUntilFree,
  ): Promise<void> {
    const { timeout, signal } = options;
    signal?.throwIfAborted();
    this.#throwIfLost();
    const deadline = timeout === undefined ? undefined : performance.now() + timeout;
    const entry = this.#entry(id);
    const waiter: Waiter = { key, mode, wake: null };
    entry.waiters.push(waiter);
    try {
      const timeoutError = () => timedOut(resource, timeout);
      for (;;) {
        signal?.throwIfAborted();
        await this.#turn(id, entry, waiter, deadline, signal, timeoutError);
        const promoting = mode === 'exclusive' && entry.readers.has(key);
        const outcome = await this.#exclusive(id, async (e) => {
          const result = await this.#attempt(id, e, key, mode);
          // A separate connection cannot wait for "everyone but this session": a
          // promotion that must wait gives its read hold up first (it holds nothing if
          // the wait then fails, as every failed promotion in lockwright).
          if (result === 'remote' && promoting && e.readers.has(key)) await this.#drop(id, e, key);
          return result;
        });
        if (outcome === 'granted') return;
        if (outcome === 'local') continue; // someone here took it meanwhile: wait here again
        const left = deadline === undefined ? undefined : deadline - performance.now();
        if (left !== undefined && left <= 0) throw timeoutError();
        // A server wait may end before the deadline (its limit is capped): wait again.
        const result = await waitUntilFree(left, signal);
        if (result === 'timeout' && deadline !== undefined && deadline - performance.now() <= 0) throw timeoutError();
      }
    } finally {
      entry.waiters.splice(entry.waiters.indexOf(waiter), 1);
      this.#pump(id, entry);
    }
  }

  /** Releases whatever `key` holds on `id`; a no-op when it holds nothing. */
  delete(id: Id, key: Key): Promise<void> {
    if (this.#lost !== null) return Promise.resolve();
    return this.#exclusive(id, async (entry) => {
      if (entry.writer === key) {
        await this.#server.unlock(id, 'exclusive');
        entry.writer = null;
      } else if (entry.readers.has(key)) {
        await this.#drop(id, entry, key);
      }
    });
  }

  /** Whether `key` holds `id`: here, and (Symfony's check) on the server too. */
  exists(id: Id, key: Key): Promise<boolean> {
    if (this.#lost !== null || this.modeOf(id, key) === null) return Promise.resolve(false);
    return this.#exclusive(id, async (entry) => {
      const mode = this.modeOf(id, key);
      if (mode === null) return false;
      if (await this.#server.isHeld(id, mode)) return true;
      // Released behind our back (pg_advisory_unlock_all, DISCARD ALL on a pooled
      // connection): every key of that mode lost it.
      const gone = mode === 'exclusive' ? [entry.writer!] : [...entry.readers];
      if (mode === 'exclusive') entry.writer = null;
      else entry.readers.clear();
      const error = new LockStorageError(`The ${this.#what} session no longer holds the "${resourceOf(key)}" lock.`);
      for (const k of gone) if (k !== key) reportKeyLost(k, error);
      return false;
    });
  }

  /** The session ended: every lock on it is gone; the Locks holding them learn it now. */
  markLost(error: unknown): void {
    if (this.#lost !== null) return;
    this.#lost = error;
    const keys: Key[] = [];
    for (const [id, entry] of this.#entries) {
      if (entry.writer) keys.push(entry.writer);
      keys.push(...entry.readers);
      entry.writer = null;
      entry.readers.clear();
      this.#pump(id, entry);
    }
    for (const key of keys) {
      reportKeyLost(key, new LockStorageError(`The ${this.#what} connection holding the "${resourceOf(key)}" lock was lost.`, { cause: error }));
    }
  }

  /**
   * Tries on the server unless the record decides; updates the record. 'local': another
   * key of this process holds it; 'remote': another session does.
   */
  async #attempt(id: Id, entry: Entry, key: Key, mode: LockMode): Promise<'granted' | 'local' | 'remote'> {
    this.#throwIfLost();
    if (mode === 'exclusive') {
      if (entry.writer === key) return 'granted';
      if (entry.writer !== null || [...entry.readers].some((k) => k !== key)) return 'local';
      if (!(await this.#server.tryLock(id, 'exclusive'))) return 'remote';
      entry.writer = key;
      key.markUnserializable();
      if (entry.readers.delete(key)) await this.#server.unlock(id, 'shared'); // promotion
      return 'granted';
    }
    if (entry.readers.has(key)) return 'granted';
    if (entry.writer !== null && entry.writer !== key) return 'local';
    // The session already holds the shared lock for other readers: nothing to ask.
    if (entry.readers.size === 0 && entry.writer !== key && !(await this.#server.tryLock(id, 'shared'))) return 'remote';
    if (entry.writer === key) {
      // Demotion: the session holds the exclusive lock, so the shared one is granted.
      if (!(await this.#server.tryLock(id, 'shared'))) return 'remote';
      entry.writer = null;
      entry.readers.add(key);
      await this.#server.unlock(id, 'exclusive');
      return 'granted';
    }
    entry.readers.add(key);
    key.markUnserializable();
    return 'granted';
  }

  async #drop(id: Id, entry: Entry, key: Key): Promise<void> {
    if (entry.readers.size === 1) await this.#server.unlock(id, 'shared');
    entry.readers.delete(key);
  }

  /** Resolves when `waiter` is first in line and the record lets it try. */
  #turn(
    id: Id,
    entry: Entry,
    waiter: Waiter,
    deadline: number | undefined,
    signal: AbortSignal | undefined,
    timeoutError: () => Error,
  ): Promise<void> {
    if (this.#ready(entry, waiter)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let cancelTimer = () => {};
      const done = (error?: unknown) => {
        waiter.wake = null;
        cancelTimer();
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = () => done(signal!.reason);
      waiter.wake = () => done();
      signal?.addEventListener('abort', onAbort, { once: true });
      if (deadline !== undefined) {
        cancelTimer = setLongTimeout(() => done(timeoutError()), Math.max(0, deadline - performance.now()));
      }
      this.#pump(id, entry);
    });
  }

  #ready(entry: Entry, waiter: Waiter): boolean {
    if (entry.waiters[0] !== waiter) return false;
    if (this.#lost !== null) return true; // let it fail with the loss
    const others = [...entry.readers].some((k) => k !== waiter.key);
    if (waiter.mode === 'exclusive') return (entry.writer === null || entry.writer === waiter.key) && !others;
    return entry.writer === null || entry.writer === waiter.key;
  }

  /** Wakes the first waiter when its turn came (after a release, a grant or a departure). */
  #pump(id: Id, entry: Entry): void {
    const head = entry.waiters[0];
    if (head?.wake && this.#ready(entry, head)) head.wake();
    if (entry.waiters.length === 0 && entry.writer === null && entry.readers.size === 0) {
      // Forget idle ids, unless an operation was queued on this entry meanwhile.
      const tail = entry.tail;
      void tail.then(() => {
        const idle = entry.waiters.length === 0 && entry.writer === null && entry.readers.size === 0;
        if (idle && entry.tail === tail && this.#entries.get(id) === entry) {
          this.#entries.delete(id);
        }
      });
    }
  }

  #entry(id: Id): Entry {
    let entry = this.#entries.get(id);
    if (!entry) {
      entry = { writer: null, readers: new Set(), tail: Promise.resolve(), waiters: [] };
      this.#entries.set(id, entry);
    }
    return entry;
  }

  /** Runs `fn` alone among the operations on `id`, then lets the next waiter try. */
  #exclusive<T>(id: Id, fn: (entry: Entry) => Promise<T>): Promise<T> {
    const entry = this.#entry(id);
    const run = entry.tail.then(() => fn(entry));
    entry.tail = run.then(
      () => this.#pump(id, entry),
      () => this.#pump(id, entry),
    );
    return run;
  }

  #throwIfLost(): void {
    if (this.#lost !== null) {
      throw new LockStorageError(`The ${this.#what} connection of this store was lost.`, { cause: this.#lost });
    }
  }
}

function resourceOf(key: Key): string {
  return key.resource;
}

function conflict(resource: string): LockConflictedError {
  return new LockConflictedError(`The "${resource}" lock is held by another owner.`);
}

function timedOut(resource: string, timeout: number | undefined): LockConflictedError {
  return new LockConflictedError(`Timed out after ${timeout} ms waiting for the "${resource}" lock.`);
}
