// The only door to the C++ addon. Nothing else in src/ loads the binding: stores
// call `loadNative()` and get this typed interface, never `any`.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotSupportedError } from './core/errors.js';

/**
 * An `Error` thrown or delivered by the addon. Shaped like Node's own fs errors:
 * `code` is the errno name (`'EACCES'`), `errno` the negated errno number, `syscall`
 * the failing call and `path` the file involved, when there is one.
 */
export interface NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}

/**
 * Called exactly once per wait, on the JS thread: granted (null, true), failed
 * (error, false), or ended without a grant (null, false) by its timeout or by
 * `cancel()`. It is called only after the waiter thread has returned from the kernel
 * and given back any grant that raced the timeout or cancellation: when the callback
 * runs with `granted` false, this wait holds nothing and never will.
 */
export type WaitCallback = (error: NativeError | null, granted: boolean) => void;

/** A blocking wait running on one of the addon's own waiter threads. */
export interface NativeWait {
  /**
   * Asks the wait to stop. Returns true when the cancellation won: the callback will be
   * called with (null, false) once the waiter thread has let go of the kernel (usually
   * within a millisecond; it is interrupted with a thread-directed signal). Returns false
   * when the outcome was already decided: the callback is called (or was already called)
   * with that outcome, and a grant must then be released by the caller. Until the
   * callback runs, the handle counts as waiting (a second wait() on it throws EINVAL).
   *
   * Only when no wake signal is usable (`wakeSignal()` is 0, or another library replaced
   * its handler) is a cancelled or timed-out flock wait settled at once, while its thread
   * stays in the kernel and gives a late grant back when it gets one.
   */
  cancel(): boolean;
}

/**
 * One open file description of a lock file. Two handles on the same file exclude each
 * other even inside one process (flock(2) locks belong to the open file description).
 */
export interface FlockHandle {
  readonly path: string;
  /** 'none' | 'shared' | 'exclusive': what this handle holds now. */
  readonly state: 'none' | 'shared' | 'exclusive';
  /**
   * flock(LOCK_NB) on the calling thread. True when granted (also when converting the
   * mode this handle already holds), false when another holder conflicts. A failed
   * conversion leaves the handle holding nothing (the kernel drops the old lock first).
   */
  tryLock(shared: boolean): boolean;
  /**
   * Blocks on a waiter thread, on this handle's descriptor, which the wait takes for
   * its own (a late grant can only ever lock the wait's descriptor): until the callback,
   * tryLock() and wait() throw EINVAL. On grant the handle holds it again; after a
   * cancellation or timeout it gets it back unlocked (or reopens the file on its next
   * call). The handle must hold nothing when the wait starts. timeoutMs < 0 waits
   * forever; a timeout calls back (null, false).
   */
  wait(shared: boolean, timeoutMs: number, callback: WaitCallback): NativeWait;
  /** LOCK_UN. The descriptor stays open for reuse. No-op when nothing is held. */
  unlock(): void;
  /** Unlocks and closes. Idempotent. Any later call throws EBADF. */
  close(): void;
}

/**
 * A System V semaphore set used as a mutex (zero-initialised layout, SEM_UNDO on every
 * value-changing operation). Holds are process-wide in the kernel; the handle tracks
 * whether *it* holds one, so that a worker's teardown releases exactly its own holds.
 */
export interface SemaphoreHandle {
  readonly key: number;
  readonly locked: boolean;
  tryLock(): boolean;
  /**
   * Whether this handle's hold is still in the kernel: the set exists, its mutex is 1 and
   * was last changed by this process. False when nothing is held, or when the set was
   * removed (`ipcrm`, logind's RemoveIPC at logout) or its value reset: the handle then
   * forgets the lost hold (`locked` becomes false, unlock() has nothing to give back).
   */
  verify(): boolean;
  /** semtimedop on a waiter thread; timeoutMs < 0 waits forever. */
  wait(timeoutMs: number, callback: WaitCallback): NativeWait;
  unlock(): void;
  close(): void;
}

/**
 * One holder's permits of a counting System V semaphore (a set of 4: free permits, the
 * limit, two fingerprint halves; SEM_UNDO on every take and give). Kernel adjustments add
 * up per process; the handle counts what *it* took, gives back exactly that, and a
 * worker's teardown gives back exactly its own handles' permits.
 */
export interface PermitHandle {
  readonly key: number;
  /** The limit the set has in the kernel (set by whichever process initialised it). */
  readonly limit: number;
  /** Permits this handle holds: 0, or the count of its one hold. */
  readonly held: number;
  /** semop(-count, SEM_UNDO|IPC_NOWAIT) on the calling thread; the handle must hold nothing. */
  tryTake(count: number): boolean;
  /** semtimedop(-count) on a waiter thread; timeoutMs < 0 waits forever. The handle must hold nothing. */
  wait(count: number, timeoutMs: number, callback: WaitCallback): NativeWait;
  /**
   * Whether the set still exists with this handle's limit. False when nothing is held or
   * the set was removed (ipcrm, logind's RemoveIPC): the handle then forgets its permits.
   */
  verify(): boolean;
  /** Gives back what this handle holds (a no-op when nothing). */
  give(): void;
  /** Gives back and closes. Idempotent. */
  close(): void;
}

export interface NativeStats {
  /** Waiter threads alive in this process (busy + idle). */
  waiterThreads: number;
  idleWaiterThreads: number;
  /** Waits of this environment not yet settled. */
  pendingWaits: number;
  /** Flock and semaphore handles of this environment not yet closed. */
  openHandles: number;
  /**
   * Path lookups (lstat) made in this process to confirm that a granted flock still locks
   * the file its path names. A grant needs one only when the lock file's ctime or link
   * count changed since the last confirmation (or the filesystem does not qualify for
   * that shortcut); a steady lock file costs none.
   */
  pathChecks: number;
}

export interface NativeBinding {
  /**
   * Opens with O_RDWR|O_NOFOLLOW|O_CLOEXEC. A missing file is created (O_EXCL) with exactly
   * `mode`, whatever the umask (fchmod after create); an existing file keeps its mode.
   */
  openFlock(path: string, mode: number): FlockHandle;
  /**
   * semget(key, 3, IPC_CREAT|mode) and ownership/collision checks: the set must be owned
   * by this user with exactly `mode`, and carry `fingerprint` (30 bits) in its two
   * fingerprint semaphores; otherwise throws (EACCES / EEXIST). Linux only (ENOTSUP).
   */
  openSemaphore(key: number, fingerprint: number, mode: number): SemaphoreHandle;
  /**
   * A counting semaphore's set: semget(key, 4, IPC_CREAT|mode), the same ownership and
   * fingerprint checks as openSemaphore, and a one-semop initialisation to `limit` free
   * permits when the set is new. `handle.limit` is the set's limit, which differs from
   * `limit` when another process initialised it with another. Linux only (ENOTSUP).
   */
  openPermits(key: number, fingerprint: number, limit: number, mode: number): PermitHandle;
  stats(): NativeStats;
  /** The thread-directed signal used to interrupt blocked waiters, 0 when none is usable. */
  wakeSignal(): number;
  buildInfo(): { napiVersion: number; semaphores: boolean };
}

let cached: NativeBinding | undefined;
let loadError: Error | undefined;

// package root: dist/native.js and src/native.ts both sit one level below it.
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Path of the `.node` file node-gyp-build would load (prebuilds/ or build/Release). */
export function nativeBindingPath(): string {
  const require = createRequire(import.meta.url);
  const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
  return nodeGypBuild.path(packageRoot);
}

/** Loads the addon once. Throws an Error that says how to build it when it is missing. */
export function loadNative(): NativeBinding {
  if (cached) return cached;
  if (loadError) throw loadError;
  try {
    const require = createRequire(import.meta.url);
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
    cached = nodeGypBuild(packageRoot) as NativeBinding;
    return cached;
  } catch (cause) {
    // No prebuild for this platform and no build of our own (the install script says why
    // once; this is what a user meets later). Only the local stores need the addon.
    loadError = new NotSupportedError(
      `lockwright's native addon is not available on ${process.platform}-${process.arch} ` +
        `(${(cause as Error).message.split('\n')[0]}). FlockStore, SemaphoreStore and SysvPermitStore need it; the Redis, ` +
        'SQL and in-memory stores do not. To build it, install python3, make and a C++17 compiler ' +
        "(Debian/Ubuntu: apt-get install python3 make g++) and run 'npm rebuild lockwright'.",
      { cause },
    );
    throw loadError;
  }
}

export function isNativeAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch {
    return false;
  }
}
