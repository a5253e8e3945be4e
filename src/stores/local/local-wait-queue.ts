// In-process coalescing of kernel waits: at most one kernel waiter (one waiter thread)
// per (resource, mode) per process. Further waiters queue here, first in first out, so
// 1,000 waiters on one resource cost one thread and the kernel still arbitrates fairly
// between processes (each process is one waiter).
import { LockConflictedError } from '../../core/errors.js';
import type { WaitOptions } from '../../core/store.js';
import { setLongTimeout } from '../../core/wait.js';

/**
 * A kernel wait in flight. `cancel()` asks it to stop; its `done` is still called once,
 * after the waiter thread has let go of the kernel: with (null, null) when the
 * cancellation won, or with the grant (or error) that beat it.
 */
export interface KernelWait {
  cancel(): void;
}

/** What a queue needs from a store: how to wait in the kernel, try, and give back. */
export interface KernelWaitSource<H> {
  /**
   * Starts one blocking wait; calls `done` exactly once: a held handle, an error, or
   * (null, null) after a cancellation, always once the waiter thread holds nothing it
   * was not granted for.
   */
  startWait(done: (error: Error | null, handle: H | null) => void): KernelWait;
  /** A non-blocking attempt: a held handle, or null when busy. */
  tryAcquire(): H | null;
  /** Gives back a grant that nobody waits for any more. */
  release(handle: H): void;
}

interface Waiter<H> {
  resolve(handle: H): void;
  reject(error: unknown): void;
}

export class LocalWaitQueue<H> {
  // A Set iterates in insertion order and deletes in O(1): FIFO with cheap aborts.
  readonly #waiters = new Set<Waiter<H>>();
  readonly #source: KernelWaitSource<H>;
  readonly #onIdle: () => void;
  #kernelWait: KernelWait | null = null;
  #cancelling = false;
  // Waiters that gave up while they were the last: they settle only once the kernel wait
  // they cancelled has let go, so that nothing (no waiter thread, no late grant) still
  // holds or queues for the lock when their promise rejects (issue 9).
  #leaving: Array<() => void> = [];

  /** `onIdle` runs when nobody waits and no kernel wait is in flight (to drop the queue). */
  constructor(source: KernelWaitSource<H>, onIdle: () => void) {
    this.#source = source;
    this.#onIdle = onIdle;
  }

  /** Waiters that have not been served yet. */
  get size(): number {
    return this.#waiters.size;
  }

  /**
   * Resolves with a held handle when this waiter's turn comes. Rejects with
   * LockConflictedError when `timeout` runs out, with `signal.reason` when aborted.
   */
  wait(options: WaitOptions, describe: string): Promise<H> {
    return new Promise<H>((resolve, reject) => this.join(options, describe, resolve, reject));
  }

  /**
   * wait() told by callback: `granted` is called in the turn the kernel grants this
   * waiter (no promise turn in between), `failed` as wait() rejects. Exactly one of them
   * is called, once; neither may throw (they run inside the queue's bookkeeping).
   */
  join(options: WaitOptions, describe: string, granted: (handle: H) => void, failed: (error: unknown) => void): void {
    const { signal, timeout } = options;
    if (signal?.aborted) {
      failed(signal.reason);
      return;
    }
    let cancelTimer: (() => void) | undefined;
    const settle = () => {
      cancelTimer?.();
      signal?.removeEventListener('abort', onAbort);
      this.#waiters.delete(waiter);
    };
    const waiter: Waiter<H> = {
      resolve: (handle) => {
        settle();
        granted(handle);
      },
      reject: (error) => {
        settle();
        failed(error);
      },
    };
    const giveUp = (error: unknown) => {
      settle();
      if (this.#waiters.size === 0 && this.#kernelWait !== null) {
        this.#leaving.push(() => failed(error));
        this.#stopKernelWait();
      } else {
        failed(error);
      }
    };
    const onAbort = () => giveUp(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined) {
      cancelTimer = setLongTimeout(
        () => giveUp(new LockConflictedError(`Timed out after ${timeout} ms waiting for ${describe}.`)),
        timeout,
      );
    }
    this.#waiters.add(waiter);
    this.#startKernelWait();
  }

  #startKernelWait(): void {
    if (this.#kernelWait !== null || this.#waiters.size === 0) return;
    try {
      this.#kernelWait = this.#source.startWait((error, handle) => this.#onKernelResult(error, handle));
    } catch (error) {
      this.#failAll(error);
    }
  }

  #onKernelResult(error: Error | null, handle: H | null): void {
    this.#kernelWait = null;
    this.#cancelling = false;
    if (handle !== null && this.#waiters.size === 0) {
      // A grant that beat the cancellation: give it back before anyone hears "gave up".
      this.#source.release(handle);
      handle = null;
    }
    if (this.#leaving.length > 0) for (const leave of this.#leaving.splice(0)) leave();
    if (error) {
      // The kernel wait itself broke (lock file gone, semaphore removed): every waiter
      // of this resource would hit the same wall.
      this.#failAll(error);
      return;
    }
    if (handle !== null) this.#serve(handle);
    // The grant may be shared, or the holder may have left already: serve whoever can
    // be served without waiting before going back to the kernel.
    while (this.#waiters.size > 0) {
      let next: H | null;
      try {
        next = this.#source.tryAcquire();
      } catch (tryError) {
        this.#failAll(tryError);
        return;
      }
      if (next === null) break;
      this.#serve(next);
    }
    this.#startKernelWait();
    this.#idleCheck();
  }

  #serve(handle: H): void {
    const first = this.#waiters.values().next();
    if (first.done) this.#source.release(handle);
    else first.value.resolve(handle);
  }

  /** The last waiter left: ask the kernel wait to stop; #onKernelResult follows. */
  #stopKernelWait(): void {
    if (this.#cancelling || this.#kernelWait === null) return;
    this.#cancelling = true;
    this.#kernelWait.cancel();
  }

  #failAll(error: unknown): void {
    for (const waiter of [...this.#waiters]) waiter.reject(error);
    this.#idleCheck();
  }

  #idleCheck(): void {
    if (this.#waiters.size === 0 && this.#kernelWait === null) this.#onIdle();
  }
}

/** One queue per (resource, mode) key, dropped when idle. */
export class LocalWaitQueues<H> {
  readonly #queues = new Map<string, LocalWaitQueue<H>>();

  get(id: string, makeSource: () => KernelWaitSource<H>): LocalWaitQueue<H> {
    let queue = this.#queues.get(id);
    if (!queue) {
      const created: LocalWaitQueue<H> = new LocalWaitQueue(makeSource(), () => {
        if (this.#queues.get(id) === created) this.#queues.delete(id);
      });
      queue = created;
      this.#queues.set(id, queue);
    }
    return queue;
  }

  /** Waiters queued for `id` (0 when none): new blocking waiters join behind them. */
  waiting(id: string): number {
    return this.#queues.get(id)?.size ?? 0;
  }
}
