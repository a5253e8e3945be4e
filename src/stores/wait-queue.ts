// Waits of the stores that poll a server, with or without a release notifier (SqlStore:
// PostgreSQL NOTIFY; MemcachedStore: none). One copy, so that a fix to how a wait ends
// reaches every store that uses it. Per key id, waiters of this process queue first in,
// first out, and only the head talks to the server (one poller per key and process, not
// one per waiter): it listens for the id's release when there is a notifier, tries, and
// on a conflict sleeps until woken (a release by this store, or a notifier's message) or
// until a fallback poll fires. The poll is bounded by the holder's remaining life when
// the store knows it (a crashed holder costs at most its TTL) and by `pollInterval` (a
// release nobody announced, such as a PHP holder's, costs at most that).
//
// A wait ends when the lock is granted, or when its timeout or signal says so. A try in
// flight then decides, within STOP_GRACE_MS: a grant still counts after a timeout and is
// given back after an abort. A server that does not answer within the grace does not
// hold the caller longer: the wait rejects, and a grant that comes later is given back.
// RedisStore keeps its own queue (redis/wait-queue.ts): it retries through outages with
// a backoff, tries before subscribing, and gives a try in flight a much shorter grace;
// it shares the head's pause (Sleeper) and the poll's bound (pollDelay) from here.
import { LockConflictedError } from '../core/errors.js';
import type { WaitOptions } from '../core/store.js';
import { setLongTimeout } from '../core/wait.js';

/** How long an ended wait (timeout or abort) gives a try in flight before rejecting anyway. */
const STOP_GRACE_MS = 2_000;

export type Attempt = { granted: true } | { granted: false; /** ms the holder's key lives; <0 unknown */ retryIn: number };

/** One waiter's way to the lock: try once, or give back a grant nobody wants any more. */
export interface WaitSource {
  attempt(): Promise<Attempt>;
  abandon(): Promise<void>;
}

export interface Listening {
  /** Settles once the listener is in place, failed, or slow; never rejects. */
  readonly ready: Promise<void>;
  close(): void;
}

/** What tells the head that its key was released elsewhere (PostgreSQL's NOTIFY). */
export interface ReleaseListener {
  listen(id: string, onRelease: () => void): Listening;
}

/**
 * The head's pause between tries: a wake cuts it short, and a wake that came while the
 * head was trying makes the next pause return at once (no release is missed). Shared
 * with redis/wait-queue.ts, whose waiter ends on other conditions (`ending`).
 */
export abstract class Sleeper {
  /** A release was announced since the last attempt was sent: the next sleep is skipped. */
  woken = false;
  #nap: (() => void) | null = null;

  /** The wait is ending: sleeps return at once. */
  protected abstract get ending(): boolean;

  wake(): void {
    this.woken = true;
    this.#nap?.();
  }

  /** Sleeps `ms`, or less when woken or ending. */
  sleep(ms: number): Promise<void> {
    if (this.woken || this.ending) return Promise.resolve();
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

/** Until the next try: the holder's remaining life (<0 unknown), at most `pollInterval`, jittered upwards. */
export function pollDelay(retryIn: number, pollInterval: number): number {
  const base = retryIn >= 0 ? Math.min(retryIn, pollInterval) : pollInterval;
  return base + 1 + Math.random() * Math.min(base * 0.1, 50);
}

class Waiter extends Sleeper {
  running = false;
  /** Set once: why the waiter must stop at once, a grant included (an abort, or a grace run out). */
  cancelled: { reason: unknown } | null = null;
  /**
   * The timeout ran out while this waiter was trying: the attempt in flight (and at least
   * one attempt: `timeout: 0` tries once) still decides; the next conflict ends the wait.
   */
  expired: Error | null = null;

  constructor(
    readonly source: WaitSource,
    readonly finish: (error?: unknown) => void,
  ) {
    super();
  }

  protected override get ending(): boolean {
    return this.cancelled !== null || this.expired !== null;
  }
}

export class WaitQueues {
  readonly #queues = new Map<string, Set<Waiter>>();
  readonly #pollInterval: number;
  readonly #notifier: ReleaseListener | undefined;

  /** `notifier`: none for a store that cannot learn of releases elsewhere (waits poll). */
  constructor(pollInterval: number, notifier?: ReleaseListener) {
    this.#pollInterval = pollInterval;
    this.#notifier = notifier;
  }

  /** Waiters of this process queued under `id`: a new waiter must not jump ahead of them. */
  waiting(id: string): number {
    return this.#queues.get(id)?.size ?? 0;
  }

  /** A release of `id` happened in this process: the head tries at once. */
  released(id: string): void {
    this.#queues.get(id)?.values().next().value?.wake();
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
      // The grace ran out with a try still in flight: the caller is told now, and the
      // loop gives back whatever that try is granted later.
      const giveUp = (reason: unknown) => {
        if (settled) return;
        waiter.cancelled ??= { reason };
        waiter.finish(reason);
      };
      const cancel = (reason: unknown) => {
        if (settled || waiter.cancelled !== null) return;
        waiter.cancelled = { reason };
        if (!waiter.running) {
          this.#queues.get(id)?.delete(waiter);
          waiter.finish(reason);
          return;
        }
        waiter.wake();
        setTimeout(() => giveUp(reason), STOP_GRACE_MS).unref();
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
          setTimeout(() => giveUp(error), STOP_GRACE_MS).unref();
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
    let listening: Listening | null = null;
    try {
      if (this.#notifier) {
        try {
          listening = this.#notifier.listen(id, () => waiter.wake());
        } catch {
          // A notifier that cannot listen still leaves waits: polled ones.
        }
        await listening?.ready;
      }
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
        await waiter.sleep(pollDelay(attempt.retryIn, this.#pollInterval));
      }
      waiter.finish(waiter.cancelled!.reason);
    } catch (error) {
      // A failed try ends the wait with its error, unless the wait was cancelled first.
      waiter.finish(waiter.cancelled === null ? error : waiter.cancelled.reason);
    } finally {
      // The next head listens before this one stops: no churn on a LISTEN connection.
      this.#advance(id, waiter);
      (listening as Listening | null)?.close();
    }
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
