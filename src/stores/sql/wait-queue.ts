// Waits of SqlStore (the shape of redis/wait-queue.ts, copied rather than shared so
// that the two can change apart). Per key id, waiters of this process queue first in,
// first out, and only the head talks to the database: it listens for the id's release
// (NOTIFY on PostgreSQL, a release by this store elsewhere), tries, and on a conflict
// sleeps until woken or until a fallback poll fires. The poll is bounded by the holder's
// remaining life by the database clock (a crashed holder costs at most its TTL) and by
// `pollInterval` (a release nobody announced, such as a PHP holder's, costs at most that).
import { LockConflictedError } from '../../core/errors.js';
import type { WaitOptions } from '../../core/store.js';
import { setLongTimeout } from '../../core/wait.js';
import type { Listening, ReleaseNotifier } from './notifier.js';

/** How long an abort waits for an attempt in flight before rejecting anyway. */
const ABANDON_GRACE_MS = 2_000;

export type Attempt = { granted: true } | { granted: false; /** ms the holder's key lives; <0 unknown */ retryIn: number };

/** One waiter's way to the lock: try once, or give back a grant nobody wants any more. */
export interface WaitSource {
  attempt(): Promise<Attempt>;
  abandon(): Promise<void>;
}

class Waiter {
  running = false;
  /** Set once: why the waiter must stop at once, a grant included (an abort). */
  cancelled: { reason: unknown } | null = null;
  /**
   * The timeout ran out while this waiter was trying: the attempt in flight (and at least
   * one attempt: `timeout: 0` tries once) still decides; the next conflict ends the wait.
   */
  expired: Error | null = null;
  /** A release was published since the last attempt was sent. */
  woken = false;
  #nap: (() => void) | null = null;

  constructor(
    readonly id: string,
    readonly source: WaitSource,
    readonly finish: (error?: unknown) => void,
  ) {}

  wake(): void {
    this.woken = true;
    this.#nap?.();
  }

  /** Sleeps `ms`, or less when woken or cancelled. */
  sleep(ms: number): Promise<void> {
    if (this.woken || this.cancelled !== null || this.expired !== null) return Promise.resolve();
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

export class SqlWaitQueues {
  readonly #queues = new Map<string, Set<Waiter>>();
  readonly #notifier: ReleaseNotifier;
  readonly #pollInterval: number;

  constructor(notifier: ReleaseNotifier, pollInterval: number) {
    this.#notifier = notifier;
    this.#pollInterval = pollInterval;
  }

  /** Waiters of this process queued under `id`: a new waiter must not jump ahead of them. */
  waiting(id: string): number {
    return this.#queues.get(id)?.size ?? 0;
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
      const waiter = new Waiter(id, source, (error?: unknown) => {
        if (settled) return;
        settled = true;
        cancelTimer?.();
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      });
      const cancel = (reason: unknown) => {
        if (settled || waiter.cancelled !== null) return;
        waiter.cancelled = { reason };
        if (!waiter.running) {
          this.#queues.get(id)?.delete(waiter);
          waiter.finish(reason);
          return;
        }
        waiter.wake();
        // The head may have an attempt in flight: its loop gives back a late grant and
        // then settles; a server that does not answer must not hold the caller forever.
        setTimeout(() => waiter.finish(reason), ABANDON_GRACE_MS).unref();
      };
      const onAbort = () => cancel(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeout !== undefined) {
        cancelTimer = setLongTimeout(() => {
          const error = new LockConflictedError(`Timed out after ${timeout} ms waiting for ${describe}.`);
          if (!waiter.running) {
            cancel(error);
            return;
          }
          waiter.expired = error;
          waiter.wake();
          setTimeout(() => cancel(error), ABANDON_GRACE_MS).unref();
        }, timeout);
      }
      let queue = this.#queues.get(id);
      if (!queue) this.#queues.set(id, (queue = new Set()));
      queue.add(waiter);
      if (queue.size === 1) void this.#run(id, waiter);
    });
  }

  /** The head's loop. Never rejects: every outcome settles the waiter. */
  async #run(id: string, waiter: Waiter): Promise<void> {
    waiter.running = true;
    let listening: Listening = { ready: Promise.resolve(), close: () => {} };
    try {
      // A notifier that cannot listen still leaves waits: polled ones.
      listening = this.#notifier.listen(waiter.id, () => waiter.wake());
    } catch {}
    try {
      await listening.ready;
      let tried = false;
      while (waiter.cancelled === null) {
        if (tried && waiter.expired !== null) {
          waiter.finish(waiter.expired);
          return;
        }
        tried = true;
        waiter.woken = false;
        const attempt = await waiter.source.attempt();
        if (attempt.granted) {
          if (waiter.cancelled === null) {
            waiter.finish();
            return;
          }
          await waiter.source.abandon().catch(() => {});
          break;
        }
        await waiter.sleep(this.#delay(attempt.retryIn));
      }
      waiter.finish(waiter.cancelled!.reason);
    } catch (error) {
      waiter.finish(waiter.cancelled === null ? error : waiter.cancelled.reason);
    } finally {
      // The next head listens before this one stops: no churn on the LISTEN connection.
      this.#advance(id, waiter);
      listening.close();
    }
  }

  /** Until the next try: the holder's remaining TTL, at most `pollInterval`, jittered. */
  #delay(retryIn: number): number {
    const base = retryIn >= 0 ? Math.min(retryIn, this.#pollInterval) : this.#pollInterval;
    return base + 1 + Math.random() * Math.min(base * 0.1, 50);
  }

  #advance(id: string, waiter: Waiter): void {
    const queue = this.#queues.get(id);
    if (!queue) return;
    queue.delete(waiter);
    const next = queue.values().next();
    if (next.done) this.#queues.delete(id);
    else if (!next.value.running) void this.#run(id, next.value);
  }
}
