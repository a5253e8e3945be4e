// Waits of MemcachedStore (the shape of redis/wait-queue.ts, copied rather than shared,
// as sql/ does, so that each can change apart). Memcached cannot notify, so waits poll;
// what this queue adds over Lock's generic polling: per resource, waiters of this
// process queue first in, first out and only the head talks to Memcached (one poller per
// resource and process, not one per waiter); a release by this store wakes the head at
// once; and a try in flight when the wait ends is settled before the wait does, so that
// a grant nobody wants any more is given back. Between tries the head sleeps
// `pollInterval`, jittered: a release in another process (or a crashed holder's expiry)
// is seen within that, so a wait never outlasts the holder's lifetime by more.
import { LockConflictedError } from '../../core/errors.js';
import type { WaitOptions } from '../../core/store.js';
import { setLongTimeout } from '../../core/wait.js';

/** How long an ended wait gives a try in flight before rejecting anyway. */
const STOP_GRACE_MS = 2_000;

/** One waiter's way to the lock: try once (true: granted), or give a grant back. */
export interface WaitSource {
  attempt(): Promise<boolean>;
  abandon(): Promise<void>;
}

class Waiter {
  running = false;
  /** Why the wait must end (abort reason, or the timeout's conflict). */
  stopped: { reason: unknown; timeout: boolean } | null = null;
  #nap: (() => void) | null = null;

  constructor(
    readonly source: WaitSource,
    readonly finish: (error?: unknown) => void,
  ) {}

  wake(): void {
    this.#nap?.();
  }

  sleep(ms: number): Promise<void> {
    if (this.stopped !== null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#nap?.(), ms);
      this.#nap = () => {
        clearTimeout(timer);
        this.#nap = null;
        resolve();
      };
    });
  }
}

export class PollingWaitQueues {
  readonly #queues = new Map<string, Waiter[]>();
  readonly #pollInterval: number;

  constructor(pollInterval: number) {
    this.#pollInterval = pollInterval;
  }

  /** Waiters of this process queued under `id`: a newcomer must not jump ahead of them. */
  waiting(id: string): number {
    return this.#queues.get(id)?.length ?? 0;
  }

  /** A release of `id` happened in this process: the head tries at once. */
  released(id: string): void {
    this.#queues.get(id)?.[0]?.wake();
  }

  /** Resolves once `source` got the lock; rejects as WaitOptions says, holding nothing. */
  wait(id: string, source: WaitSource, options: WaitOptions, describe: string): Promise<void> {
    const { signal, timeout } = options;
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      let settled = false;
      let cancelTimer: (() => void) | undefined;
      const waiter = new Waiter(source, (error?: unknown) => {
        if (settled) return;
        settled = true;
        cancelTimer?.();
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      });
      const stop = (reason: unknown, byTimeout: boolean) => {
        if (settled || waiter.stopped !== null) return;
        waiter.stopped = { reason, timeout: byTimeout };
        if (!waiter.running) {
          this.#remove(id, waiter);
          waiter.finish(reason);
          return;
        }
        waiter.wake();
        // The head may have a try in flight: its loop settles it first, but a server
        // that does not answer must not hold the caller longer than this.
        setTimeout(() => waiter.finish(reason), STOP_GRACE_MS).unref();
      };
      const onAbort = () => stop(signal!.reason, false);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeout !== undefined) {
        cancelTimer = setLongTimeout(
          () => stop(new LockConflictedError(`Timed out after ${timeout} ms waiting for ${describe}.`), true),
          timeout,
        );
      }
      let queue = this.#queues.get(id);
      if (!queue) this.#queues.set(id, (queue = []));
      queue.push(waiter);
      if (queue.length === 1) void this.#run(id, waiter);
    });
  }

  /** The head's loop. Never rejects: every outcome settles the waiter. */
  async #run(id: string, waiter: Waiter): Promise<void> {
    waiter.running = true;
    try {
      while (waiter.stopped === null) {
        let granted: boolean;
        try {
          granted = await waiter.source.attempt();
        } catch (error) {
          if (waiter.stopped === null) throw error;
          break;
        }
        if (granted) {
          // A timeout that ran out during a granting try still counts the grant (the try
          // decided); an abort gives it back.
          const stopped = waiter.stopped as { timeout: boolean } | null;
          if (stopped === null || stopped.timeout) {
            waiter.finish();
            return;
          }
          await waiter.source.abandon().catch(() => {});
          break;
        }
        await waiter.sleep(this.#pollInterval * (0.9 + Math.random() * 0.2));
      }
      waiter.finish(waiter.stopped!.reason);
    } catch (error) {
      waiter.finish(error);
    } finally {
      this.#remove(id, waiter);
    }
  }

  #remove(id: string, waiter: Waiter): void {
    const queue = this.#queues.get(id);
    if (!queue) return;
    const at = queue.indexOf(waiter);
    if (at !== -1) queue.splice(at, 1);
    if (queue.length === 0) this.#queues.delete(id);
    else if (at === 0 && !queue[0]!.running) void this.#run(id, queue[0]!);
  }
}
