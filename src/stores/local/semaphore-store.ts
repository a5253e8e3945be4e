// SemaphoreStore: System V semaphore locks through the native addon (Linux). Blocking in
// the kernel, exclusive only (acquireRead falls back to acquire), released by the kernel
// (SEM_UNDO) when the holding process dies.
import { InvalidArgumentError, LockConflictedError, LockStorageError, NotSupportedError, describeValue } from '../../core/errors.js';
import { validateTtl } from '../../core/duration.js';
import type { Key } from '../../core/key.js';
import type { BlockingStore, ImmediateStore, WaitDone, WaitOptions } from '../../core/store.js';
import { loadNative, type NativeBinding, type SemaphoreHandle } from '../../native.js';
import { HeldStates } from './held-state.js';
import { IdleHandlePool } from './idle-handle-pool.js';
import { KeyTurns, settledBy } from './key-turns.js';
import { LocalWaitQueues, type KernelWaitSource } from './local-wait-queue.js';
import { storageError } from './native-errors.js';
import { semaphoreIdentity, type SemaphoreIdentity } from './semaphore-key.js';

const held = new HeldStates<SemaphoreHandle>('lockwright:semaphore', 'SemaphoreStore');

/** What the synchronous paths return: a settled promise, the same every time. */
const DONE: Promise<void> = Promise.resolve();

export interface SemaphoreStoreOptions {
  /** Permission bits of the semaphore sets this store creates. Default 0o600 (this user only). */
  mode?: number;
  /**
   * Prefix hashed with every resource name into the System V key. Stores with different
   * namespaces never share a lock. Default "lockwright".
   */
  namespace?: string;
}

// Per process (per worker): one kernel waiter per semaphore set, and released handles
// kept a moment for reuse (opening one is semget + IPC_STAT + two GETVALs).
const queues = new LocalWaitQueues<SemaphoreHandle>();
const turns = new KeyTurns();
const idleHandles = new IdleHandlePool<SemaphoreHandle>({ perKey: 2, total: 256, idleMs: 1_000 });

/** Puts a handle back for reuse, released (closes it if releasing fails). */
function recycle(handle: SemaphoreHandle): void {
  try {
    handle.unlock();
  } catch {
    handle.close();
    return;
  }
  idleHandles.give(String(handle.key), handle);
}

/** The set behind a kept handle was removed while it sat idle: open it afresh. */
function isStaleSet(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'EIDRM' || code === 'EINVAL';
}

export class SemaphoreStore implements BlockingStore, ImmediateStore {
  readonly mode: number;
  readonly namespace: string;
  /** delete() leaves nothing held: Lock.release() needs no exists() check after it. */
  readonly verifiesDelete = true as const;
  /** Semaphore locks last until released or until the process dies. */
  readonly expires = false as const;
  readonly #native: NativeBinding;
  readonly #identities = new WeakMap<Key, SemaphoreIdentity>();

  constructor(options: SemaphoreStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`SemaphoreStore options must be an object; got ${describeValue(options)}.`);
    }
    if (process.platform !== 'linux') {
      throw new NotSupportedError(
        `SemaphoreStore needs System V semaphores with semtimedop(2), which lockwright supports on Linux only (this is ${process.platform}). Use FlockStore.`,
      );
    }
    const { mode = 0o600, namespace = 'lockwright' } = options;
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
      throw new InvalidArgumentError(`SemaphoreStore option "mode" must be permission bits between 0 and 0o777; got ${describeValue(mode)}.`);
    }
    if (typeof namespace !== 'string' || namespace.length === 0) {
      throw new InvalidArgumentError(`SemaphoreStore option "namespace" must be a non-empty string; got ${describeValue(namespace)}.`);
    }
    this.#native = loadNative(); // NotSupportedError, with what to install, when the addon is missing
    if (!this.#native.buildInfo().semaphores) {
      throw new NotSupportedError('This build of the lockwright addon has no System V semaphore support.');
    }
    this.mode = mode;
    this.namespace = namespace;
  }

  save(key: Key): Promise<void> {
    try {
      if (!this.#tryNow(key, false)) throw this.#conflict(key);
      return DONE;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  waitAndSave(key: Key, options: WaitOptions = {}): Promise<void> {
    return turns.run(key, options, `the "${key.resource}" lock`, (left) => settledBy((done) => this.#lockOrWait(key, left, false, done)));
  }

  /** ImmediateStore: a save decided on this thread (Lock's fast path). Exclusive only. */
  saveNow(key: Key, _shared: boolean, blocking: boolean): boolean | null {
    // Another blocking call of this key is in progress: it decides first.
    if (blocking && turns.busy(key)) return null;
    return this.#tryNow(key, blocking);
  }

  /** ImmediateStore: a wait without limits, told in the turn of the kernel's grant. Exclusive only. */
  waitNow(key: Key, _shared: boolean, busy: boolean, done: WaitDone): void {
    turns.runNow(key, `the "${key.resource}" lock`, (left, settle) => this.#lockOrWait(key, left, busy, settle), done);
  }

  delete(key: Key): Promise<void> {
    try {
      this.deleteNow(key);
      return DONE;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** ImmediateStore: releases now; the handle stays open a moment for reuse. */
  deleteNow(key: Key): void {
    const handle = held.peek(key);
    held.remove(key); // also state this store never created
    if (!handle) return;
    try {
      handle.unlock();
    } catch (error) {
      handle.close();
      throw storageError(error, `Cannot release the "${key.resource}" semaphore`);
    }
    idleHandles.give(String(handle.key), handle);
  }

  /**
   * Whether `key` still holds the lock in the kernel: a set removed behind our back
   * (`ipcrm`, logind's RemoveIPC at logout) or reset means the lock is lost, so
   * `Lock.isAcquired()` turns false (and aborts `lock.signal`).
   */
  async exists(key: Key): Promise<boolean> {
    return held.heldIntact(key);
  }

  /** Semaphore locks do not expire. */
  async putOffExpiration(_key: Key, ttl: number): Promise<void> {
    validateTtl(ttl);
  }

  /**
   * One non-blocking attempt: true when `key` holds the lock (also when it already did),
   * false when another owner holds it, null when a blocking call must queue behind this
   * process's earlier waiters instead.
   */
  #tryNow(key: Key, blocking: boolean): boolean | null {
    if (held.get(key)) return true;
    const identity = this.#identityOf(key);
    // A blocking waiter does not jump ahead of this process's earlier waiters.
    if (blocking && queues.waiting(String(identity.key)) > 0) return null;
    const handle = this.#tryAcquire(identity, key.resource);
    if (!handle) return false;
    this.#hold(key, handle);
    return true;
  }

  /**
   * A blocking call's turn: locked now, or queued for the kernel wait; `done` is called
   * in the turn of the grant. `busy`: saveNow() just found the lock busy, skip the try.
   */
  #lockOrWait(key: Key, wait: WaitOptions, busy: boolean, done: WaitDone): void {
    let queue;
    try {
      if (!busy) {
        if (held.get(key)) return done(null);
        wait.signal?.throwIfAborted();
        if (this.#tryNow(key, true)) return done(null);
      }
      if (wait.timeout === 0) throw this.#conflict(key);
      const identity = this.#identityOf(key);
      queue = queues.get(String(identity.key), () => this.#waitSource(identity, key.resource));
    } catch (error) {
      return done(error);
    }
    queue.join(wait, `the "${key.resource}" lock`, (handle) => {
      try {
        // The key came to hold the lock meanwhile (a non-blocking call of the same Lock):
        // keep one hold, never overwrite (and so leak) the other.
        if (held.peek(key)) recycle(handle);
        else this.#hold(key, handle);
      } catch (error) {
        recycle(handle);
        return done(error);
      }
      done(null);
    }, done);
  }

  #conflict(key: Key): LockConflictedError {
    return new LockConflictedError(`The "${key.resource}" lock is held by another owner (System V key 0x${this.#identityOf(key).key.toString(16)}).`);
  }

  /** semaphoreIdentity(), hashed once per key (a Lock keeps its key for its whole life). */
  #identityOf(key: Key): SemaphoreIdentity {
    let identity = this.#identities.get(key);
    if (identity === undefined) this.#identities.set(key, (identity = semaphoreIdentity(this.namespace, key.resource)));
    return identity;
  }

  #hold(key: Key, handle: SemaphoreHandle): void {
    held.set(key, handle);
  }

  #open({ key, fingerprint }: SemaphoreIdentity, resource: string): SemaphoreHandle {
    try {
      return this.#native.openSemaphore(key, fingerprint, this.mode);
    } catch (error) {
      throw storageError(error, `Cannot open the semaphore of the "${resource}" lock (key 0x${key.toString(16)})`);
    }
  }

  #tryAcquire(identity: SemaphoreIdentity, resource: string): SemaphoreHandle | null {
    const idle = idleHandles.take(String(identity.key));
    const handle = idle ?? this.#open(identity, resource);
    try {
      if (handle.tryLock()) return handle;
    } catch (error) {
      handle.close();
      if (idle && isStaleSet(error)) return this.#tryAcquire(identity, resource);
      throw storageError(error, `Cannot lock the "${resource}" semaphore`);
    }
    idleHandles.give(String(identity.key), handle);
    return null;
  }

  #waitSource(identity: SemaphoreIdentity, resource: string): KernelWaitSource<SemaphoreHandle> {
    return {
      startWait: (done) => {
        // An idle handle spares opening the set (semget, IPC_STAT and two GETVALs). Every
        // wait starts right after a try in the same turn (saveNow(), the queue's tries),
        // which drops a handle whose set was removed while idle, so this one is current.
        const handle = idleHandles.take(String(identity.key)) ?? this.#open(identity, resource);
        // No timeout in the kernel (the queue keeps time): ending without a grant and
        // without an error means cancel() won, and the waiter thread has let go.
        const wait = handle.wait(-1, (error, granted) => {
          if (granted) return done(null, handle);
          handle.close();
          done(error ? storageError(error, `Cannot wait for the "${resource}" semaphore`) : null, null);
        });
        return { cancel: () => void wait.cancel() };
      },
      tryAcquire: () => this.#tryAcquire(identity, resource),
      release: recycle,
    };
  }
}
