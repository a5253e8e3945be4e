// FlockStore: flock(2) locks on files in a directory, through the native addon.
// Blocking (in the kernel, on the addon's waiter threads), shared, released by the
// kernel when the process dies. Lock files are named as Symfony's FlockStore names them.
import { join } from 'node:path';
import { InvalidArgumentError, LockConflictedError, LockStorageError, describeValue } from '../../core/errors.js';
import { validateTtl } from '../../core/duration.js';
import type { Key } from '../../core/key.js';
import type { BlockingSharedLockStore, BlockingStore, ImmediateStore, WaitDone, WaitOptions } from '../../core/store.js';
import { loadNative, type FlockHandle, type NativeBinding } from '../../native.js';
import { flockFileName } from './flock-file-name.js';
import { HeldStates } from './held-state.js';
import { IdleHandlePool } from './idle-handle-pool.js';
import { KeyTurns, settledBy } from './key-turns.js';
import { LocalWaitQueues, type KernelWaitSource } from './local-wait-queue.js';
import { defaultLockDir, prepareLockDir, preparePrivateLockDir } from './lock-dir.js';
import { storageError } from './native-errors.js';

const held = new HeldStates<FlockState>('lockwright:flock', 'FlockStore');

/** What the synchronous paths return: a settled promise, the same every time. */
const DONE: Promise<void> = Promise.resolve();

/** A key's lock file and the ids of its in-process wait queues, worked out once per key. */
interface LockFile {
  path: string;
  exclusiveQueue: string;
  sharedQueue: string;
}

interface FlockState {
  handle: FlockHandle;
  shared: boolean;
}

export interface FlockStoreOptions {
  /**
   * Directory of the lock files; created when missing. Default: a directory private to
   * this user that depends only on the user id (`/run/lock/lockwright-<uid>` where
   * /run/lock is world-writable, else `/var/tmp/lockwright-<uid>`; mode 0700), never on
   * environment variables. Processes lock each other out only when they use the same
   * directory.
   */
  dir?: string;
  /**
   * Permission bits of lock files this store creates, set exactly (the umask does not
   * narrow them, so 0o660 really lets the group in). Files that already exist keep their
   * mode. Default 0o600 (this user only).
   */
  mode?: number;
}

// Per process (per worker): one kernel waiter per (lock file, mode), and released
// handles (open descriptors holding no lock) kept a moment for reuse, by path.
const queues = new LocalWaitQueues<FlockHandle>();
const turns = new KeyTurns();
const idleHandles = new IdleHandlePool<FlockHandle>({ perKey: 2, total: 64, idleMs: 1_000 });

/** Puts a handle that holds nothing back for reuse (closes it if that fails). */
function recycle(handle: FlockHandle): void {
  try {
    handle.unlock();
  } catch {
    handle.close();
    return;
  }
  idleHandles.give(handle.path, handle);
}

export class FlockStore implements BlockingStore, BlockingSharedLockStore, ImmediateStore {
  readonly dir: string;
  readonly mode: number;
  /** delete() leaves nothing held: Lock.release() needs no exists() check after it. */
  readonly verifiesDelete = true as const;
  /** flock locks last until released or until the process dies. */
  readonly expires = false as const;
  readonly #native: NativeBinding;
  readonly #files = new WeakMap<Key, LockFile>();

  constructor(options: string | FlockStoreOptions = {}) {
    const parsed = typeof options === 'string' ? { dir: options } : options;
    if (typeof parsed !== 'object' || parsed === null) {
      throw new InvalidArgumentError(`FlockStore options must be a directory path or an object; got ${describeValue(options)}.`);
    }
    const mode = parsed.mode ?? 0o600;
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
      throw new InvalidArgumentError(`FlockStore option "mode" must be permission bits between 0 and 0o777; got ${describeValue(mode)}.`);
    }
    this.#native = loadNative(); // NotSupportedError, with what to install, when the addon is missing
    this.mode = mode;
    this.dir = parsed.dir === undefined ? preparePrivateLockDir(defaultLockDir()) : prepareLockDir(parsed.dir);
  }

  /** The lock file used for `resource` (always inside `dir`). */
  pathFor(resource: string): string {
    return join(this.dir, flockFileName(resource));
  }

  save(key: Key): Promise<void> {
    return this.#saveNow(key, false);
  }

  saveRead(key: Key): Promise<void> {
    return this.#saveNow(key, true);
  }

  waitAndSave(key: Key, options: WaitOptions = {}): Promise<void> {
    return turns.run(key, options, `the "${key.resource}" lock`, (left) => settledBy((done) => this.#lockOrWait(key, false, left, false, done)));
  }

  waitAndSaveRead(key: Key, options: WaitOptions = {}): Promise<void> {
    return turns.run(key, options, `the "${key.resource}" lock`, (left) => settledBy((done) => this.#lockOrWait(key, true, left, false, done)));
  }

  /** ImmediateStore: a save decided on this thread (Lock's fast path). */
  saveNow(key: Key, shared: boolean, blocking: boolean): boolean | null {
    // Another blocking call of this key is in progress: it decides first.
    if (blocking && turns.busy(key)) return null;
    return this.#tryNow(key, shared, blocking);
  }

  /** ImmediateStore: a wait without limits, told in the turn of the kernel's grant. */
  waitNow(key: Key, shared: boolean, busy: boolean, done: WaitDone): void {
    turns.runNow(key, `the "${key.resource}" lock`, (left, settle) => this.#lockOrWait(key, shared, left, busy, settle), done);
  }

  delete(key: Key): Promise<void> {
    this.deleteNow(key);
    return DONE;
  }

  /** ImmediateStore: unlocks now; the handle stays open a moment for reuse. */
  deleteNow(key: Key): void {
    const state = held.peek(key);
    held.remove(key); // also state this store never created
    if (state) recycle(state.handle);
  }

  /** Local knowledge: this key holds an flock lock that only it can release. */
  async exists(key: Key): Promise<boolean> {
    return held.peek(key) !== undefined;
  }

  /** flock locks do not expire: they last until released or until the process dies. */
  async putOffExpiration(_key: Key, ttl: number): Promise<void> {
    validateTtl(ttl);
  }

  #saveNow(key: Key, shared: boolean): Promise<void> {
    try {
      if (!this.#tryNow(key, shared, false)) throw this.#conflict(key);
      return DONE;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * One non-blocking attempt: true when `key` holds the lock (also when it already did),
   * false when another owner holds it, null when a blocking call must queue behind this
   * process's earlier waiters instead.
   */
  #tryNow(key: Key, shared: boolean, blocking: boolean): boolean | null {
    const current = held.get(key);
    if (current?.shared === shared) return true;
    const file = this.#fileOf(key);
    const path = file.path;
    // A blocking waiter does not jump ahead of this process's earlier waiters.
    if (!current && blocking && queues.waiting(shared ? file.sharedQueue : file.exclusiveQueue) > 0) return null;
    // Converting the mode of a held lock reuses its handle; the kernel drops the old
    // lock before converting, so a refused conversion leaves nothing held.
    if (current) held.remove(key);
    const handle = current?.handle ?? this.#open(path);
    let granted: boolean;
    try {
      granted = handle.tryLock(shared);
    } catch (error) {
      handle.close();
      throw storageError(error, `Cannot lock "${path}"`);
    }
    if (granted) {
      this.#hold(key, handle, shared);
      return true;
    }
    recycle(handle);
    return false;
  }

  /**
   * A blocking call's turn: locked now, or queued for the kernel wait; `done` is called
   * in the turn of the grant. `busy`: saveNow() just found the lock busy, skip the try.
   */
  #lockOrWait(key: Key, shared: boolean, wait: WaitOptions, busy: boolean, done: WaitDone): void {
    let queue;
    try {
      if (!busy) {
        const current = held.get(key);
        if (current?.shared === shared) return done(null);
        wait.signal?.throwIfAborted();
        if (this.#tryNow(key, shared, true)) return done(null);
      }
      if (wait.timeout === 0) throw this.#conflict(key);
      const { path, sharedQueue, exclusiveQueue } = this.#fileOf(key);
      queue = queues.get(shared ? sharedQueue : exclusiveQueue, () => this.#waitSource(path, shared));
    } catch (error) {
      return done(error);
    }
    queue.join(wait, `the "${key.resource}" lock`, (handle) => {
      try {
        // The key came to hold the lock meanwhile (a non-blocking call of the same Lock):
        // keep one grant, never overwrite (and so leak) the other.
        const meanwhile = held.peek(key);
        if (meanwhile) {
          held.remove(key);
          recycle(meanwhile.handle);
        }
        this.#hold(key, handle, shared);
      } catch (error) {
        recycle(handle);
        return done(error);
      }
      done(null);
    }, done);
  }

  #conflict(key: Key): LockConflictedError {
    return new LockConflictedError(`The "${key.resource}" lock is held by another owner (${this.#fileOf(key).path}).`);
  }

  /** pathFor(), hashed once per key (a Lock keeps its key for its whole life), and its queue ids. */
  #fileOf(key: Key): LockFile {
    let file = this.#files.get(key);
    if (file === undefined) {
      const path = this.pathFor(key.resource);
      file = { path, exclusiveQueue: `X${path}`, sharedQueue: `S${path}` };
      this.#files.set(key, file);
    }
    return file;
  }

  #hold(key: Key, handle: FlockHandle, shared: boolean): void {
    held.set(key, { handle, shared });
  }

  #open(path: string): FlockHandle {
    const idle = idleHandles.take(path);
    if (idle) return idle;
    try {
      return this.#native.openFlock(path, this.mode);
    } catch (error) {
      throw storageError(error, `Cannot open the lock file "${path}"`);
    }
  }

  #waitSource(path: string, shared: boolean): KernelWaitSource<FlockHandle> {
    return {
      startWait: (done) => {
        const handle = this.#open(path);
        // No timeout in the kernel (the queue keeps time): ending without a grant and
        // without an error means cancel() won, and the waiter thread has let go.
        const wait = handle.wait(shared, -1, (error, granted) => {
          if (granted) return done(null, handle);
          handle.close();
          done(error ? storageError(error, `Cannot wait for "${path}"`) : null, null);
        });
        return { cancel: () => void wait.cancel() };
      },
      tryAcquire: () => {
        const handle = this.#open(path);
        try {
          if (handle.tryLock(shared)) return handle;
        } catch (error) {
          handle.close();
          throw storageError(error, `Cannot lock "${path}"`);
        }
        recycle(handle);
        return null;
      },
      release: recycle,
    };
  }
}
