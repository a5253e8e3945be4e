// Waits of RedisStore and RedisPermitStore. Per (resource, mode), waiters of this
// process queue first in, first out, and only the head talks to Redis. Across
// processes, heads queue in Redis (scripts.ts: a list of waiter ids per resource, each
// with a lease): only the head of that queue may take a free lock (or free permits),
// and a release hands it to that head alone, by a message on its store's channel
// (notifier.ts; on a Cluster the message only wakes it,
// and it tries). The head of this process tries once; if the lock is
// busy, it makes sure its store's channel is subscribed, then tries again with its
// waiter id (which queues it in Redis), and on each conflict sleeps until woken or until
// a fallback poll fires. The poll is bounded by the holder's remaining TTL (a crashed
// holder costs at most its TTL) and by `pollInterval` (a lost message, or a holder that
// does not publish, such as Symfony's PHP RedisStore, costs at most that). Each try
// renews the waiter's lease (LEASE_POLLS polls plus a second): a waiter that died leaves
// the Redis queue once its lease ran out, found by the next waiter's poll.
//
// A wait ends when the lock is granted, or when its timeout or signal says so. A try in
// flight then gets a short grace (STOP_GRACE_MS) to answer: a grant that comes within it
// still counts after a timeout and is given back after an abort, before the wait
// settles. A server that does not answer (a silent network) does not hold the caller
// longer: the try goes on alone, and gives back whatever it is granted. A waiter that
// queued in Redis and ends without the lock leaves that queue. Until then, a
// waiter waits through outages (a failed try is retried, with a backoff) and through
// replies that came too late for the TTL: only a held lock expires, not a wait.
//
// A grant's TTL runs on the server from the release's instant (by the server clock),
// which the message carries; by the time this process handles the message, some of it
// is gone (network, a busy event loop, a GC pause). The waiter counts its lifetime from
// the grant, not from the message: each refused try reports the server clock as the
// script read it, after the try left, so `server ms - local clock at sending` bounds from
// above how far the server clock is ahead of this process's. The bound of each try grows
// by MAX_DRIFT with its age (the two clocks need not tick at one rate); the smallest over
// the wait's tries is the tightest. The time since the grant is then at most
// `local now + that bound - grant instant`. A grant that comes without an instant, or
// before any try measured the bound, is confirmed by one round trip (the store's refresh).
import { LockConflictedError, LockExpiredError, LockStorageError } from '../../core/errors.js';
import type { WaitOptions } from '../../core/store.js';
import { setLongTimeout } from '../../core/wait.js';
import { pollDelay, Sleeper } from '../wait-queue.js';
import type { Listening, ReleaseNotifier } from './notifier.js';

export type Attempt =
  | { granted: true }
  | {
      granted: false;
      /** ms the holder's key lives; <0 unknown */
      retryIn: number;
      /** Set when the try failed (the server is away): the error the wait ends with if time runs out. */
      failure?: unknown;
      /** What the reply said of the server clock, if anything (`clockReading`). */
      clock?: ClockReading;
    };

/**
 * A try of a wait (both Redis stores): a lifetime that ran out before the reply came, or
 * an outage, is no answer yet, not a failure. Each try stands for a fresh acquisition:
 * the time spent waiting is not held time.
 */
export async function attemptOnce(key: { resetLifetime(): void }, tryOnce: () => Promise<Attempt>): Promise<Attempt> {
  key.resetLifetime();
  try {
    return await tryOnce();
  } catch (error) {
    // The reply came after the lifetime ran out (a pause, an outage): the grant was
    // given back, and the lock may well be free. Only a held lock expires; try again.
    if (error instanceof LockExpiredError) return { granted: false, retryIn: 0 };
    // The server is away: wait through it, until the timeout or the signal.
    if (error instanceof LockStorageError) return { granted: false, retryIn: -1, failure: error };
    throw error;
  }
}

/** A refused try's measure of the server clock against this process's. */
export interface ClockReading {
  /** The server clock (ms) minus `sendClock()` as the try left: at least the true offset, then. */
  readonly offset: number;
  /** `sendClock()` as the try left. */
  readonly sentAt: number;
}

/** The local clock the grant arithmetic uses (monotonic, ms): read as a try is sent. */
export const sendClock = (): number => performance.now();

/**
 * How fast the offset between the server clock and this process's may change: 1 ms a
 * second, twice the fastest rate at which NTP slews a clock (500 ppm). A step of either
 * clock is beyond any bound (and moves the server's expiries too).
 */
const MAX_DRIFT = 0.001;

/**
 * A refusal's third element (the server clock in ms, scripts.ts `server_ms`) against the
 * local clock read as the try left (`sentAt`): their difference is at least the true
 * offset between the two clocks, since the server read its clock after the try left
 * (plus 1 ms: the server's ms is its µs clock rounded down). Undefined without one.
 */
export function clockReading(serverMs: unknown, sentAt: number): ClockReading | undefined {
  if (serverMs === null || serverMs === undefined) return undefined;
  const ms = Number(serverMs);
  return Number.isFinite(ms) ? { offset: ms + 1 - sentAt, sentAt } : undefined;
}

/**
 * One waiter's way to the lock (or permits): try once (queued in Redis under `waiter`,
 * or not when null), take what a release handed over (`grant`: a lock's fencing token,
 * "-" for a reader, "+" for permits; `elapsed`: at most how many ms of its TTL are gone,
 * or null when unknown: the source then confirms it with the server), give back a grant
 * nobody wants any more, or leave the Redis queue (false: it was no longer queued, and
 * may have been handed the lock). `adopt` rejects, holding nothing, when nothing is
 * left of the grant.
 */
export interface WaitSource {
  attempt(waiter: string | null): Promise<Attempt>;
  adopt(grant: string, elapsed: number | null): Promise<void>;
  abandon(): Promise<void>;
  leave(waiter: string): Promise<boolean>;
}

/** A queued waiter's lease in Redis, in polls: it renews it at least once a poll. */
const LEASE_POLLS = 2;

/** How long the Redis queue keeps a waiter that stopped renewing its lease (ms). */
export function leaseFor(pollInterval: number): number {
  return Math.ceil(LEASE_POLLS * pollInterval + 1_000);
}

/** First pause after a failed try; it doubles up to `pollInterval`. */
const FIRST_BACKOFF_MS = 50;
/** How long a timed-out or aborted wait waits for a try in flight (one or two round trips). */
const STOP_GRACE_MS = 250;

class Waiter extends Sleeper {
  running = false;
  /** What a release handed this waiter (scripts.ts: grant_next), and when, until it is taken. */
  grant: { value: string; at: number | undefined } | null = null;
  /**
   * From the wait's tries (Attempt.clock), the least of `offset - MAX_DRIFT * sentAt`:
   * adding `MAX_DRIFT * now` gives the tightest bound on the clock offset now. Null: none yet.
   */
  clockBase: number | null = null;

  recordClock(clock: ClockReading | undefined): void {
    if (clock === undefined) return;
    const base = clock.offset - MAX_DRIFT * clock.sentAt;
    if (this.clockBase === null || base < this.clockBase) this.clockBase = base;
  }

  /** At most how many ms ago, by the server clock, was `grantedAt` (server ms); null: unknown. */
  sinceGrant(grantedAt: number | undefined): number | null {
    if (grantedAt === undefined || this.clockBase === null) return null;
    const now = sendClock();
    // 0 if the clocks say less: the server's may have stepped back.
    return Math.max(0, Math.ceil(now + this.clockBase + MAX_DRIFT * now - grantedAt));
  }
  /** Set once the wait is over for its caller (settled): the loop only cleans up. */
  cancelled = false;
  /** The timeout ran out or the signal aborted; the wait ends after the try in flight. */
  stopping: { reason: unknown; timedOut: boolean } | null = null;

  constructor(
    readonly source: WaitSource,
    /** `timeout: 0`: one try, then the wait is over. */
    readonly once: boolean,
    readonly timedOut: () => Error,
    readonly finish: (error?: unknown) => void,
  ) {
    super();
  }

  protected override get ending(): boolean {
    return this.cancelled || this.stopping !== null;
  }
}

export class RedisWaitQueues {
  readonly #queues = new Map<string, Set<Waiter>>();
  /** Per queue, how the head's last try failed (the server is away); none after an answer. */
  readonly #failures = new Map<string, unknown>();
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

  /**
   * Whether a wait may try once at once, outside the queue's machinery (a free lock or
   * free permits then cost one round trip and nothing else): a wait without limits, with
   * nobody of this process ahead, and not while the store's wake-up channel is subscribed
   * (it waited within the last second: likely contended, and the queue's first try
   * queues it at once). After a refused try, wait() is told so (`tried`).
   */
  triesFirst(id: string, options: WaitOptions): boolean {
    return options.timeout === undefined && options.signal === undefined && !this.#notifier.subscribed && this.waiting(id) === 0;
  }

  /**
   * Resolves once `source` got the lock; rejects as WaitOptions says, holding nothing.
   * `tried`: the caller just tried without queuing and was refused.
   */
  wait(id: string, source: WaitSource, options: WaitOptions, describe: string, tried = false): Promise<void> {
    const { signal, timeout } = options;
    const timedOut = () => new LockConflictedError(`Timed out after ${timeout} ms waiting for ${describe}.`);
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      // timeout 0 tries once, unless a waiter of this process is ahead: then it is busy.
      if (timeout === 0 && this.waiting(id) > 0) {
        reject(timedOut());
        return;
      }
      let cancelTimer: (() => void) | undefined;
      const waiter: Waiter = new Waiter(source, timeout === 0, timedOut, (error?: unknown) => {
        if (waiter.cancelled) return;
        waiter.cancelled = true;
        waiter.wake();
        cancelTimer?.();
        signal?.removeEventListener('abort', onAbort);
        // A head with a try in flight leaves the queue when that try settles (#run).
        if (!waiter.running) this.#remove(id, waiter);
        if (error === undefined) resolve();
        else reject(error);
      });
      const stop = (reason: unknown, isTimeout: boolean) => {
        if (waiter.cancelled || waiter.stopping !== null) return;
        if (!waiter.running) {
          waiter.finish(reason);
          return;
        }
        waiter.stopping = { reason, timedOut: isTimeout };
        waiter.wake();
        setTimeout(() => waiter.finish(reason), STOP_GRACE_MS).unref();
      };
      const onAbort = () => stop(signal!.reason, false);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeout !== undefined && timeout > 0) {
        // A server that is away is worth more than "busy": the last failure, if any.
        // (A waiter queued behind the head reports the head's: it is the same server.)
        cancelTimer = setLongTimeout(() => stop(this.#failures.get(id) ?? timedOut(), true), timeout);
      }
      let queue = this.#queues.get(id);
      if (!queue) this.#queues.set(id, (queue = new Set()));
      queue.add(waiter);
      // The first waiter tries before subscribing (a free lock costs one round trip),
      // unless its caller just did.
      if (queue.size === 1) void this.#run(id, waiter, !tried);
    });
  }

  /** The head's loop. Never rejects: every outcome settles the waiter. */
  async #run(id: string, waiter: Waiter, tryFirst: boolean): Promise<void> {
    waiter.running = true;
    let listening: Listening | null = null;
    /** The waiter id sent with a try: the waiter may be queued in Redis under it. */
    let queued: string | null = null;
    let granted = false;
    const source = waiter.source;
    const subscribe = (): Promise<void> => {
      listening = this.#notifier.listen((grant, at) => {
        if (grant !== undefined) waiter.grant = { value: grant, at };
        waiter.wake();
      });
      return listening.ready;
    };
    /** The lock, if a release handed it over: taken as this try's outcome. */
    const handed = async (attempt: Attempt): Promise<Attempt> => {
      if (!attempt.granted) waiter.recordClock(attempt.clock);
      const grant = waiter.grant;
      if (attempt.granted || grant === null) return attempt;
      waiter.grant = null;
      try {
        // At most this much of the grant's TTL is gone; unknown without both instants.
        await source.adopt(grant.value, waiter.sinceGrant(grant.at));
        return { granted: true };
      } catch {
        // Its lifetime ran out before it reached us: it was given back; try again.
        return { granted: false, retryIn: 0 };
      }
    };
    /** Ends the wait without the lock: out of the Redis queue first, so that nothing stays held. */
    const without = async (error: unknown): Promise<void> => {
      if (queued !== null && !granted) {
        const leaving = queued;
        queued = null;
        await this.#leave(source, leaving);
      }
      waiter.finish(error);
    };
    try {
      // Queue with the first try when a release would reach this waiter at once.
      if (!tryFirst || (!waiter.once && this.#notifier.subscribed)) await subscribe();
      let failures = 0;
      while (!waiter.cancelled && waiter.stopping === null) {
        waiter.woken = false;
        const attempt = waiter.grant !== null
          ? await handed({ granted: false, retryIn: 0 })
          : await handed(await waiter.source.attempt(waiter.once ? null : (queued = (listening as Listening | null)?.id ?? null)));
        const stopping = waiter.stopping as Waiter['stopping'];
        if (attempt.granted) {
          granted = true; // the script took this waiter out of the Redis queue
          // A grant still counts after a timeout (the try in flight decides), never
          // after an abort, nor once the wait has settled.
          if (!waiter.cancelled && (stopping === null || stopping.timedOut)) {
            waiter.finish();
            return;
          }
          await waiter.source.abandon().catch(() => {});
          waiter.finish(stopping?.reason);
          return;
        }
        if (waiter.cancelled || stopping !== null) {
          // A failed try may still have been applied by the server: give it back too.
          if (attempt.failure !== undefined) await waiter.source.abandon().catch(() => {});
          await without(stopping?.reason);
          return;
        }
        if (waiter.once) {
          waiter.finish(attempt.failure ?? waiter.timedOut());
          return;
        }
        if (attempt.failure === undefined) this.#failures.delete(id);
        else this.#failures.set(id, attempt.failure);
        failures = attempt.failure === undefined ? 0 : failures + 1;
        if (listening === null) {
          // Subscribed first, then tried again, queued: no release is missed.
          await subscribe();
          if (failures === 0) continue;
        }
        await waiter.sleep(failures > 0 ? this.#backoff(failures) : pollDelay(attempt.retryIn, this.#pollInterval));
      }
      if (waiter.stopping !== null) await without(waiter.stopping.reason);
    } catch (error) {
      waiter.finish(error);
    } finally {
      this.#advance(id, waiter);
      // Out of the Redis queue, so that the next waiter there is not held up by this one.
      if (queued !== null && !granted) void this.#leave(source, queued);
      (listening as Listening | null)?.close();
    }
  }

  /** Leaves the Redis queue; a lock handed over meanwhile, that nobody takes, is given back. */
  async #leave(source: WaitSource, queued: string): Promise<void> {
    try {
      if (!(await source.leave(queued))) await source.abandon();
    } catch {
      // The server is away: the lease and the TTL bound what is left behind.
    }
  }

  /** After `failures` failed tries in a row: doubling from 50 ms, at most `pollInterval`. */
  #backoff(failures: number): number {
    const base = Math.min(FIRST_BACKOFF_MS * 2 ** Math.min(failures - 1, 20), this.#pollInterval);
    return base * (0.9 + Math.random() * 0.2);
  }

  #remove(id: string, waiter: Waiter): void {
    const queue = this.#queues.get(id);
    if (!queue) return;
    queue.delete(waiter);
    if (queue.size === 0) this.#forget(id);
  }

  #forget(id: string): void {
    this.#queues.delete(id);
    this.#failures.delete(id);
  }

  #advance(id: string, waiter: Waiter): void {
    const queue = this.#queues.get(id);
    if (!queue) return;
    queue.delete(waiter);
    const next = queue.values().next();
    if (next.done) this.#forget(id);
    else if (!next.value.running) void this.#run(id, next.value, false);
  }
}
