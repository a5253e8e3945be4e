// FlockStore: flock(2) locks on files in a directory, through the native addon.
// Blocking (in the kernel, on the addon's waiter threads), shared, released by the
// kernel when the process dies. Lock files are named as Symfony's FlockStore names them.
import { join } from 'node:path';
import { InvalidArgumentError, LockConflictedError, LockStorageError, describeValue } from '../../core/errors.js';
import { validateTtl } from '../../core/duration.js';
import type { Key } from '../../core/key.js';
import type { BlockingSharedLockStore, BlockingStore, WaitOptions } from '../../core/store.js';
import { loadNative, type FlockHandle, type NativeBinding } from '../../native.js';
import { flockFileName } from './flock-file-name.js';
import { HeldStates } from './held-state.js';
import { IdleHandlePool } from './idle-handle-pool.js';
import { KeyTurns } from './key-turns.js';
import { LocalWaitQueues, type KernelWaitSource } from './local-wait-queue.js';
import { defaultLockDir, prepareLockDir, preparePrivateLockDir } from './lock-dir.js';
import { storageError } from './native-errors.js';

const held = new HeldStates<FlockState>('lockwright:flock', 'FlockStore');

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

export class FlockStore implements BlockingStore, BlockingSharedLockStore {
  readonly dir: string;
  readonly mode: number;
  readonly #native: NativeBinding;

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

  async save(key: Key): Promise<void> {
    return this.#lock(key, false, null);
  }

  async saveRead(key: Key): Promise<void> {
    return this.#lock(key, true, null);
  }

  async waitAndSave(key: Key, options: WaitOptions = {}): Promise<void> {
    return this.#lock(key, false, options);
  }

  async waitAndSaveRead(key: Key, options: WaitOptions = {}): Promise<void> {
    return this.#lock(key, true, options);
  }

  async delete(key: Key): Promise<void> {
    const state = held.peek(key);
    held.remove(key);
    if (!state) return;
    recycle(state.handle);
  }

  /** Local knowledge: this key holds an flock lock that only it can release. */
  async exists(key: Key): Promise<boolean> {
    return held.peek(key) !== undefined;
  }

  /** flock locks do not expire: they last until released or until the process dies. */
  async putOffExpiration(_key: Key, ttl: number): Promise<void> {
    validateTtl(ttl);
  }

  async #lock(key: Key, shared: boolean, wait: WaitOptions | null): Promise<void> {
    if (wait === null) return this.#lockNow(key, shared, null);
    return turns.run(key, wait, `the "${key.resource}" lock`, (left) => this.#lockNow(key, shared, left));
  }

  async #lockNow(key: Key, shared: boolean, wait: WaitOptions | null): Promise<void> {
    const current = held.get(key);
    if (current?.shared === shared) return;
    wait?.signal?.throwIfAborted();
    const path = current?.handle.path ?? this.pathFor(key.resource);
    const queueId = `${shared ? 'S' : 'X'}${path}`;
    // A blocking waiter does not jump ahead of this process's earlier waiters.
    if (current || wait === null || queues.waiting(queueId) === 0) {
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
      if (granted) return this.#hold(key, handle, shared);
      recycle(handle);
    }
    if (wait === null || wait.timeout === 0) {
      throw new LockConflictedError(`The "${key.resource}" lock is held by another owner (${path}).`);
    }
    const queue = queues.get(queueId, () => this.#waitSource(path, shared));
    const handle = await queue.wait(wait, `the "${key.resource}" lock`);
    // The key came to hold the lock meanwhile (a non-blocking call of the same Lock):
    // keep one grant, never overwrite (and so leak) the other.
    const meanwhile = held.peek(key);
    if (meanwhile) {
      held.remove(key);
      recycle(meanwhile.handle);
    }
    this.#hold(key, handle, shared);
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
