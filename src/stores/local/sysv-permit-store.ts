// SysvPermitStore: a semaphore's N permits as ONE System V semaphore holding N (Linux,
// through the native addon). A holder of weight w takes w permits in one semop with
// SEM_UNDO, so the kernel gives a dead process's permits back; a busy save() fails at
// once (IPC_NOWAIT); waitAndSave() waits in the kernel on the addon's waiter threads,
// cancelled exactly by timeout and AbortSignal. No TTL: permits live until released or
// until their process dies.
//
// The kernel's undo records add up per process, so this store keeps one native handle per
// holder and each handle gives back exactly the permits it took: releasing one Semaphore
// never returns another's, even in the same process. The set's layout, its race-free
// initialisation and its checks (owner, mode, fingerprint, limit) are in
// native/sem_permit_ops.h.
import { InvalidArgumentError, LockConflictedError, NotSupportedError, SemaphoreExpiredError, describeValue } from '../../core/errors.js';
import { validateTtl } from '../../core/duration.js';
import { parseOptions } from '../../core/options.js';
import type { WaitOptions } from '../../core/store.js';
import type { BlockingPermitStore } from '../../semaphore/permit-store.js';
import type { SemaphoreKey } from '../../semaphore/semaphore-key.js';
import { loadNative, type NativeBinding, type PermitHandle } from '../../native.js';
import { HeldStates } from './held-state.js';
import { IdleHandlePool } from './idle-handle-pool.js';
import { KeyTurns } from './key-turns.js';
import { LocalWaitQueues, type KernelWaitSource } from './local-wait-queue.js';
import { storageError } from './native-errors.js';
import { semaphoreIdentity, type SemaphoreIdentity } from './semaphore-key.js';

/** SEMVMX: a System V semaphore's value (here, the number of permits) cannot exceed it. */
export const MAX_SYSV_PERMITS = 32767;

const held = new HeldStates<PermitHandle>('lockwright:sysv-permits', 'SysvPermitStore');

export interface SysvPermitStoreOptions {
  /** Permission bits of the semaphore sets this store creates. Default 0o600 (this user only). */
  mode?: number;
  /**
   * Prefix hashed with every resource name into the System V key. Stores with different
   * namespaces never share permits. Default "lockwright". Semaphores and locks (SemaphoreStore)
   * of one name and namespace are different kernel objects.
   */
  namespace?: string;
}

const OPTION_KEYS = ['mode', 'namespace'] as const;

// Per process (per worker): one kernel waiter per (set, mode, weight), and released handles
// kept a moment for reuse (opening one is semget + IPC_STAT + semop + GETALL).
const queues = new LocalWaitQueues<PermitHandle>();
const turns = new KeyTurns();
const idleHandles = new IdleHandlePool<PermitHandle>({ perKey: 4, total: 256, idleMs: 1_000 });

/**
 * Idle handles are kept per set and mode: a handle opened by a store of another mode
 * passed that mode's ownership check, not this one's.
 */
function poolKey(key: number, mode: number): string {
  return `${key}:${mode.toString(8)}`;
}

/** The set behind a kept handle was removed while it sat idle: open it afresh. */
function isStaleSet(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'EIDRM' || code === 'EINVAL';
}

export class SysvPermitStore implements BlockingPermitStore {
  readonly mode: number;
  readonly namespace: string;
  /** delete() knows it gave the permits back: Semaphore.release() needs no exists() after it. */
  readonly verifiesDelete = true as const;
  readonly #native: NativeBinding;

  constructor(options: SysvPermitStoreOptions = {}) {
    const { mode = 0o600, namespace = 'lockwright' } = parseOptions(options, 'SysvPermitStore options', OPTION_KEYS);
    if (process.platform !== 'linux') {
      throw new NotSupportedError(
        `SysvPermitStore needs System V semaphores with semtimedop(2), which lockwright supports on Linux only (this is ${process.platform}). ` +
          'Use createPermitStore("lock+flock") for semaphores over flock(2) files.',
      );
    }
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
      throw new InvalidArgumentError(`SysvPermitStore option "mode" must be permission bits between 0 and 0o777; got ${describeValue(mode)}.`);
    }
    if (typeof namespace !== 'string' || namespace.length === 0) {
      throw new InvalidArgumentError(`SysvPermitStore option "namespace" must be a non-empty string; got ${describeValue(namespace)}.`);
    }
    this.#native = loadNative(); // NotSupportedError, with what to install, when the addon is missing
    if (!this.#native.buildInfo().semaphores) {
      throw new NotSupportedError('This build of the lockwright addon has no System V semaphore support.');
    }
    this.mode = mode;
    this.namespace = namespace;
  }

  /** Takes `key.weight` permits now, or throws LockConflictedError. The TTL is ignored: permits do not expire. */
  async save(key: SemaphoreKey, _ttl: number | null): Promise<void> {
    return this.#take(key, null);
  }

  async waitAndSave(key: SemaphoreKey, _ttl: number | null, options: WaitOptions = {}): Promise<void> {
    return turns.run(key, options, describe(key), (left) => this.#take(key, left));
  }

  async delete(key: SemaphoreKey): Promise<void> {
    const handle = held.peek(key);
    held.remove(key);
    if (!handle) return;
    try {
      handle.give();
    } catch (error) {
      handle.close();
      throw storageError(error, `Cannot give back the permits of the "${key.resource}" semaphore`);
    }
    idleHandles.give(poolKey(handle.key, this.mode), handle);
  }

  /**
   * Whether `key` holds its permits: a set removed behind our back (`ipcrm`, logind's
   * RemoveIPC at logout) took them along, so `Semaphore.isAcquired()` turns false (and
   * aborts `semaphore.signal`).
   */
  async exists(key: SemaphoreKey): Promise<boolean> {
    return held.heldIntact(key);
  }

  /** Permits do not expire: nothing to put off for a holder; a key that holds none has expired. */
  async putOffExpiration(key: SemaphoreKey, ttl: number): Promise<void> {
    validateTtl(ttl);
    if (!(await this.exists(key))) {
      throw new SemaphoreExpiredError(`The semaphore "${key.resource}" has expired: it holds no permits.`);
    }
  }

  async #take(key: SemaphoreKey, wait: WaitOptions | null): Promise<void> {
    if (held.get(key)) return; // Symfony: saving a held key again does nothing
    key.markUnserializable(); // the permits belong to this process
    wait?.signal?.throwIfAborted();
    if (key.limit > MAX_SYSV_PERMITS) {
      throw new InvalidArgumentError(
        `The "${key.resource}" semaphore has a limit of ${key.limit}; a System V semaphore holds at most ${MAX_SYSV_PERMITS} permits (SEMVMX).`,
      );
    }
    const identity = semaphoreIdentity(this.namespace, key.resource, 'permits');
    const queueId = `${poolKey(identity.key, this.mode)}:${key.weight}`;
    // Always open (or reuse) a handle first: it checks the limit the set has.
    const handle = this.#handle(identity, key);
    if (wait === null || queues.waiting(queueId) === 0) {
      if (this.#tryTake(handle, identity, key)) return held.set(key, handle);
    } else {
      idleHandles.give(poolKey(identity.key, this.mode), handle);
    }
    if (wait === null || wait.timeout === 0) {
      throw new LockConflictedError(
        `The "${key.resource}" semaphore has fewer than ${key.weight} of its ${key.limit} permits free (System V key 0x${identity.key.toString(16)}).`,
      );
    }
    const queue = queues.get(queueId, () => this.#waitSource(identity, key));
    const granted = await queue.wait(wait, describe(key));
    // The key came to hold permits meanwhile (a non-blocking call of the same Semaphore):
    // keep one hold, never overwrite (and so leak) the other.
    if (held.peek(key)) return this.#recycle(granted);
    held.set(key, granted);
  }

  /** A handle on the set that holds nothing, whose kernel limit is `key.limit`. */
  #handle(identity: SemaphoreIdentity, key: SemaphoreKey): PermitHandle {
    let handle = idleHandles.take(poolKey(identity.key, this.mode));
    if (handle && handle.limit !== key.limit) {
      // A kept handle may be on a set removed since (and recreated with this limit): the
      // set as it is now decides.
      handle.close();
      handle = undefined;
    }
    handle ??= this.#open(identity, key);
    if (handle.limit !== key.limit) {
      idleHandles.give(poolKey(identity.key, this.mode), handle);
      throw new InvalidArgumentError(
        `The "${key.resource}" semaphore has a limit of ${handle.limit} permits in the kernel (System V key 0x${identity.key.toString(16)}, ` +
          `set by the process that first used it), but this one asks for ${key.limit}. Every process must give one name one limit. ` +
          `To change it, stop every process using it and remove the set (ipcrm -S 0x${identity.key.toString(16)}), or use another name.`,
      );
    }
    return handle;
  }

  #open({ key, fingerprint }: SemaphoreIdentity, semaphore: SemaphoreKey): PermitHandle {
    try {
      return this.#native.openPermits(key, fingerprint, semaphore.limit, this.mode);
    } catch (error) {
      throw storageError(error, `Cannot open the System V semaphore of the "${semaphore.resource}" semaphore (key 0x${key.toString(16)})`);
    }
  }

  /** tryTake on `handle`; false (handle back in the pool) when busy. */
  #tryTake(handle: PermitHandle, identity: SemaphoreIdentity, key: SemaphoreKey, reopened = false): boolean {
    try {
      if (handle.tryTake(key.weight)) return true;
    } catch (error) {
      handle.close();
      if (!reopened && isStaleSet(error)) return this.#tryTake(this.#handle(identity, key), identity, key, true);
      throw storageError(error, `Cannot take permits of the "${key.resource}" semaphore`);
    }
    idleHandles.give(poolKey(identity.key, this.mode), handle);
    return false;
  }

  #waitSource(identity: SemaphoreIdentity, key: SemaphoreKey): KernelWaitSource<PermitHandle> {
    // The queue is per (set, weight), so one weight serves all its waiters.
    const { resource, weight } = key;
    return {
      startWait: (done) => {
        const handle = this.#handle(identity, key);
        // No timeout in the kernel (the queue keeps time): ending without a grant and
        // without an error means cancel() won, and the waiter thread has let go.
        let wait;
        try {
          wait = handle.wait(weight, -1, (error, granted) => {
            if (granted) return done(null, handle);
            if (error && isStaleSet(error)) handle.close();
            else this.#recycle(handle);
            done(error ? storageError(error, `Cannot wait for the "${resource}" semaphore`) : null, null);
          });
        } catch (error) {
          handle.close();
          throw storageError(error, `Cannot wait for the "${resource}" semaphore`);
        }
        return { cancel: () => void wait.cancel() };
      },
      tryAcquire: () => {
        const handle = this.#handle(identity, key);
        return this.#tryTake(handle, identity, key) ? handle : null;
      },
      release: (handle) => this.#recycle(handle),
    };
  }

  /** Puts a handle back for reuse, holding nothing (closes it if giving back fails). */
  #recycle(handle: PermitHandle): void {
    try {
      handle.give();
    } catch {
      handle.close();
      return;
    }
    idleHandles.give(poolKey(handle.key, this.mode), handle);
  }
}

function describe(key: SemaphoreKey): string {
  return `${key.weight} of the ${key.limit} permits of the "${key.resource}" semaphore`;
}
