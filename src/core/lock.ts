// Lock: the policy over a store. Symfony's Lock semantics (reference/symfony-lock.md §2)
// with lockwright's deliberate differences (DESIGN.md): bounded and abortable waits,
// a clean state after a failed promotion, and explicit disposal instead of destructors.
import {
  InvalidArgumentError,
  LockAcquiringError,
  LockConflictedError,
  LockExpiredError,
  LockReleasingError,
} from './errors.js';
import { channels, type AcquireMessage, type LockMessage } from './diagnostics.js';
import type diagnostics from 'node:diagnostics_channel';
import { formatDuration, parseOptionalTtl, parseTtl, type Duration } from './duration.js';
import { getFencingToken } from './fencing.js';
import { unwatchKeyLoss, watchKeyLoss } from './key-loss.js';
import { parseOptions } from './options.js';
import { requestLifetime, takeLifetimeApplied } from './lifetime-request.js';
import { lifetimeAccess, type Key } from './key.js';
import {
  isBlockingSharedLockStore,
  isBlockingStore,
  isImmediateStore,
  isSharedLockStore,
  verifiesDelete,
  type BlockingSharedLockStore,
  type BlockingStore,
  type ImmediateStore,
  type PersistingStore,
} from './store.js';
import {
  MAX_TIMER_MS,
  jitteredRetryDelay,
  parseAcquireOptions,
  setLongTimeout,
  sleep,
  toWaitOptions,
  type AcquireOptions,
  type ParsedAcquireOptions,
} from './wait.js';

/** A console-compatible logger; every method is optional. */
export interface Logger {
  debug?(message: string, context?: Record<string, unknown>): void;
  info?(message: string, context?: Record<string, unknown>): void;
  warn?(message: string, context?: Record<string, unknown>): void;
  error?(message: string, context?: Record<string, unknown>): void;
}

export interface LockOptions {
  /**
   * How long the lock lives after each acquire or refresh, on stores whose locks expire:
   * milliseconds or a string with a unit ('30s', '15m'); null for no expiry. Between
   * 10 ms and 365 days. `new Lock()` defaults to null, `LockFactory` to 5 minutes.
   */
  ttl?: Duration | null;
  /** Release on `await using` disposal. Default true. */
  autoRelease?: boolean;
  /**
   * While held, refresh the lock every third of its TTL, so that it does not expire
   * under a long task. A refresh that fails aborts `lock.signal` (never throws).
   * Needs a TTL. Default false.
   */
  autoRefresh?: boolean;
}

type Mode = 'exclusive' | 'shared';

/** The keys of LockOptions (and the logger a factory passes on). */
export const LOCK_OPTION_KEYS = ['ttl', 'autoRelease', 'autoRefresh'] as const;
const LOCK_OPTIONS = [...LOCK_OPTION_KEYS, 'logger'];

/**
 * What a Lock calls what it holds, which errors it throws and where it reports. A lock by
 * default; a Semaphore holds its permits through a Lock of the semaphore kind, so that
 * the lifetime, wait, refresh and loss rules live once (src/semaphore/semaphore.ts).
 */
export interface HoldingKind {
  /** The word in messages: "the "x" lock was released". */
  noun: string;
  channels: {
    acquire: diagnostics.TracingChannel<object, object>;
    conflict: diagnostics.Channel;
    release: diagnostics.Channel;
    refresh: diagnostics.Channel;
    lost: diagnostics.Channel;
    expired: diagnostics.Channel;
  };
  AcquiringError: typeof LockAcquiringError;
  ReleasingError: typeof LockReleasingError;
  ExpiredError: typeof LockExpiredError;
  /** The message published for `lock`, built from the lock's own. */
  describe(lock: Lock, message: LockMessage): object;
}

const LOCK_KIND: HoldingKind = {
  noun: 'lock',
  channels: channels as unknown as HoldingKind['channels'],
  AcquiringError: LockAcquiringError,
  ReleasingError: LockReleasingError,
  ExpiredError: LockExpiredError,
  describe: (_lock, message) => message,
};

/**
 * What a LockManager's metrics see of a lock it made: the facts the channels carry, told
 * to one collector directly. Subscribing to the channels instead would make every lock
 * of the process (not only the manager's) build and publish its messages, and cost the
 * manager's own locks a tracing context per acquire. Not public API.
 */
export interface LockObserver {
  /** An acquire settled: true held, false busy or timed out, null failed. `startedAt` is performance.now() at the call. */
  acquired(blocking: boolean, startedAt: number, outcome: boolean | null): void;
  /** An acquire found the lock held, or gave up waiting for it. */
  conflicted(resource: string): void;
  /** A holding ended by a release (true) or a loss (false), after `heldMs`. */
  ended(released: boolean, heldMs: number | null): void;
  /** The lifetime ran out (while held, or before the lock could be stored). */
  expired(): void;
}

/** What createInternalLock() gives the one constructor call it makes. */
interface Internals {
  kind?: HoldingKind;
  observer?: LockObserver;
}

let pendingInternals: Internals | null = null;

/**
 * For lockwright's own holders: a Lock that speaks of another `kind` (Semaphore), or
 * tells an `observer` what happens to it (LockManager's metrics). Not public API.
 */
export function createInternalLock(internals: Internals, key: Key, store: PersistingStore, options: LockOptions & { logger?: Logger }): Lock {
  pendingInternals = internals;
  try {
    return new Lock(key, store, options);
  } finally {
    pendingInternals = null;
  }
}

/** Errors already published as lost/expired, so that no path publishes one twice. */
const published = new WeakSet<object>();

/**
 * How long past its deadline (or its abort) a store's own wait may take to settle before
 * Lock cuts it off. Stores settle at their deadline, after an exact cancellation; this is
 * only the backstop for one that does not (a silent server, a client that queues).
 */
const STORE_SETTLES_GRACE_MS = 1_000;

/** What the fast paths return: settled promises, the same every time. */
const TRUE: Promise<boolean> = Promise.resolve(true);
const FALSE: Promise<boolean> = Promise.resolve(false);
const DONE: Promise<void> = Promise.resolve();

export class Lock implements AsyncDisposable {
  readonly key: Key;
  readonly #kind: HoldingKind;
  readonly #observer: LockObserver | null;
  readonly #store: PersistingStore;
  /** The store again when it decides on this thread (the fast paths), else null. */
  readonly #immediate: ImmediateStore | null;
  readonly #ttl: number | null;
  readonly #autoRelease: boolean;
  readonly #autoRefresh: boolean;
  readonly #logger: Logger | undefined;
  /** The mode this instance believes it holds (Symfony's "dirty"), null when not held. */
  #mode: Mode | null = null;
  /** performance.now() when the current holding period began. */
  #heldSince: number | null = null;
  /** Created on first read of `signal` during a holding period; aborted when it ends. */
  #controller: AbortController | null = null;
  #refreshTimer: ReturnType<typeof setInterval> | null = null;
  #refreshing = false;
  /** Counts holding periods (started and ended), so that a late store reply can tell it is late. */
  #holding = 0;
  /** Cancels the timer that ends the holding at the key's local expiry. */
  #cancelExpiryTimer: (() => void) | null = null;
  /** acquire() calls in progress on this lock. */
  #acquiring = 0;
  /** A store call this lock gave up on succeeded while another acquire was in progress. */
  #orphaned = false;
  /** What a store's report of a lost key calls (made once: every acquisition watches). */
  readonly #onKeyLost = (error: unknown): void => this.#lose(error);
  /** The abort reason of a release, built only if someone reads `signal` (made once per Lock). */
  readonly #releasedReason = (): unknown => new DOMException(`The "${this.key.resource}" ${this.#kind.noun} was released.`, 'AbortError');

  constructor(key: Key, store: PersistingStore, options: LockOptions & { logger?: Logger } = {}) {
    this.#kind = pendingInternals?.kind ?? LOCK_KIND;
    this.#observer = pendingInternals?.observer ?? null;
    pendingInternals = null;
    options = parseOptions(options, 'Lock options', LOCK_OPTIONS);
    this.key = key;
    this.#store = store;
    this.#immediate = isImmediateStore(store) ? store : null;
    this.#ttl = options.ttl === undefined ? null : parseOptionalTtl(options.ttl, 'options.ttl');
    for (const name of ['autoRelease', 'autoRefresh'] as const) {
      if (options[name] !== undefined && typeof options[name] !== 'boolean') {
        throw new InvalidArgumentError(`options.${name} must be a boolean.`);
      }
    }
    if (options.autoRefresh && this.#ttl === null) {
      throw new InvalidArgumentError('options.autoRefresh needs a ttl: there is nothing to refresh without one.');
    }
    this.#autoRelease = options.autoRelease ?? true;
    this.#autoRefresh = options.autoRefresh ?? false;
    this.#logger = options.logger;
  }

  /**
   * Takes the lock exclusively. Resolves true when held (also when this lock already
   * held it), false when busy (non-blocking) or when `timeout` ran out. An aborted
   * `signal` rejects with `signal.reason`; nothing stays held.
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    return this.#traced('exclusive', options);
  }

  /**
   * Takes the lock shared: readers exclude writers, not each other. On a store without
   * shared locks this is `acquire()`. Holding the write lock, it demotes it.
   */
  acquireRead(options?: AcquireOptions): Promise<boolean> {
    if (!isSharedLockStore(this.#store)) {
      this.#log('debug', 'Store does not support read locks, falling back to a write lock.');
      return this.#traced('exclusive', options);
    }
    return this.#traced('shared', options);
  }

  #traced(mode: Mode, options: AcquireOptions | undefined): Promise<boolean> {
    let wait: ParsedAcquireOptions;
    try {
      wait = parseAcquireOptions(options);
      wait.signal?.throwIfAborted();
    } catch (error) {
      return Promise.reject(error);
    }
    const observer = this.#observer;
    const startedAt = observer === null ? 0 : performance.now();
    const result = this.#kind.channels.acquire.hasSubscribers ? this.#tracedAcquire(mode, wait) : this.#acquireNow(mode, wait);
    if (observer === null) return result;
    // The fast path's answers are the settled TRUE and FALSE: told at once, with no turn.
    if (result === TRUE || result === FALSE) observer.acquired(wait.blocking, startedAt, result === TRUE);
    else {
      result.then(
        (held) => observer.acquired(wait.blocking, startedAt, held),
        () => observer.acquired(wait.blocking, startedAt, null),
      );
    }
    return result;
  }

  /** acquire() published on the acquire TracingChannel (someone subscribes to it). */
  #tracedAcquire(mode: Mode, wait: ParsedAcquireOptions): Promise<boolean> {
    const tracing = this.#kind.channels.acquire;
    const message: AcquireMessage = this.#message(mode, wait.blocking);
    // tracePromise's events (start, end, then asyncStart and asyncEnd with the result),
    // in its order and with its stores, but an answer the fast path already has is
    // published at once: no promise and no turn of the event loop spent on tracing.
    const { start, end, asyncStart, asyncEnd, error } = tracing;
    let known: boolean | null = null;
    let pending: Promise<boolean>;
    try {
      pending = start.runStores(message, () => {
        try {
          const result = this.#acquireNow(mode, wait);
          known = result === TRUE ? true : result === FALSE ? false : null;
          return result;
        } finally {
          end.publish(message);
        }
      });
    } catch (failure) {
      // acquire() rejects, never throws (a bound store whose transform threw, say).
      pending = Promise.reject(failure);
    }
    const settle = (result: boolean) => {
      message.result = result;
      asyncStart.publish(message);
      asyncEnd.publish(message);
      return result;
    };
    if (known !== null) {
      settle(known);
      return pending;
    }
    return pending.then(settle, (failure: unknown) => {
      message.error = failure;
      error.publish(message);
      asyncStart.publish(message);
      asyncEnd.publish(message);
      throw failure;
    });
  }

  /**
   * The fast path: a lock not held, on a store that decides on this thread (flock,
   * semop), is taken or refused in this call, with no await and nothing allocated that
   * nobody reads. Everything else (a held lock, a busy lock to wait for, an acquire in
   * progress, stores that expire or go over the network) takes #acquire.
   */
  #acquireNow(mode: Mode, wait: ParsedAcquireOptions): Promise<boolean> {
    const store = this.#immediate;
    if (store === null || this.#mode !== null || this.#acquiring !== 0 || this.#orphaned) return this.#acquire(mode, wait);
    const started = this.#kind.channels.conflict.hasSubscribers ? performance.now() : 0;
    this.key.resetLifetime();
    let held: boolean | null;
    try {
      held = store.saveNow(this.key, mode === 'shared', wait.blocking);
    } catch (error) {
      this.#log('warn', 'Failed to acquire the "{resource}" {noun}.', { error });
      return Promise.reject(new this.#kind.AcquiringError(`Failed to acquire the "${this.key.resource}" ${this.#kind.noun}.`, { cause: error }));
    }
    if (held === null || (held === false && wait.blocking)) {
      // A plain blocking acquire (no timeout, no signal: nothing for #bounded to bound)
      // waits in the store and resumes in as few turns as it can: a hand-off's latency.
      if (wait.timeout === undefined && !wait.signal) return this.#waitNow(store, mode, wait, held === false);
      return this.#acquire(mode, wait);
    }
    if (held === false) {
      this.#noteConflict(mode, wait, started);
      this.#endHolding(null);
      return FALSE;
    }
    this.#onHeld(mode);
    if (this.#logger) this.#log('debug', `Successfully acquired the "{resource}" {noun}${mode === 'shared' ? ' for reading' : ''}.`);
    // What refresh() does on a store whose locks do not expire: the key keeps no expiry.
    if (this.#ttl !== null) this.#confirmRefresh(this.#ttl);
    return TRUE;
  }

  /**
   * #acquire for a lock not held, on an ImmediateStore, without limits. The store tells
   * the outcome by callback in the turn it learns it (the kernel grant's callback), and
   * the promise settles right there: the caller resumes in the next microtask.
   */
  #waitNow(store: ImmediateStore, mode: Mode, wait: ParsedAcquireOptions, busy: boolean): Promise<boolean> {
    const started = performance.now();
    this.#acquiring++;
    return new Promise<boolean>((resolve, reject) => {
      // Runs inside the store's (and the addon's) callback: it settles, never throws, and
      // counts once (#acquireEnded) even if a store were to call it twice.
      let told = false;
      const done = (error: unknown) => {
        if (told) return;
        told = true;
        try {
          if (error === null) {
            this.#onHeld(mode);
            this.#acquireEnded();
            if (this.#logger) this.#log('debug', `Successfully acquired the "{resource}" {noun}${mode === 'shared' ? ' for reading' : ''}.`);
            if (this.#ttl !== null) this.#confirmRefresh(this.#ttl);
            resolve(true);
          } else if (error instanceof LockConflictedError) {
            this.#noteConflict(mode, wait, started);
            this.#endHolding(null);
            this.#acquireEnded();
            reject(error);
          } else {
            this.#acquireEnded();
            this.#log('warn', 'Failed to acquire the "{resource}" {noun}.', { error });
            reject(new this.#kind.AcquiringError(`Failed to acquire the "${this.key.resource}" ${this.#kind.noun}.`, { cause: error }));
          }
        } catch (failure) {
          reject(failure);
        }
      };
      try {
        store.waitNow(this.key, mode === 'shared', busy, done);
      } catch (error) {
        done(error);
      }
    });
  }

  /** The end of an acquire that took the fast paths' turns (#acquire's finally, without the lifetime request). */
  #acquireEnded(): void {
    this.#acquiring--;
    if (this.#orphaned && this.#acquiring === 0) {
      this.#orphaned = false;
      if (this.#mode === null) void this.#deleteQuietly();
    }
  }

  async #acquire(mode: Mode, wait: ParsedAcquireOptions): Promise<boolean> {
    const started = performance.now();
    const wasHeld = this.#mode !== null;
    const reductions = lifetimeAccess.reductions(this.key);
    // A lock not held starts without an expiry (the store gives it one); a held lock
    // keeps the lifetime it has until the store confirms a new one.
    if (!wasHeld) this.key.resetLifetime();
    requestLifetime(this.key, this.#ttl);
    this.#acquiring++;
    try {
      if (!(await this.#save(mode, wait))) {
        await this.#onConflict(mode, wait, started, wasHeld);
        return false;
      }
      if (wasHeld) {
        // Confirmed: the lifetime the store gave, measured from when its request left.
        const touched = lifetimeAccess.reductions(this.key) !== reductions;
        lifetimeAccess.setExpiresAt(this.key, touched ? lifetimeAccess.lastRequested(this.key) : null);
      }
      this.#onHeld(mode);
      this.#log('debug', `Successfully acquired the "{resource}" {noun}${mode === 'shared' ? ' for reading' : ''}.`);
      if (this.#ttl !== null && !takeLifetimeApplied(this.key, this.#ttl)) await this.refresh(this.#ttl);
      if (this.key.isExpired()) {
        await this.#releaseQuietly();
        throw new this.#kind.ExpiredError(`Failed to store the "${this.key.resource}" ${this.#kind.noun}.`);
      }
      this.#armExpiryTimer();
      return true;
    } catch (error) {
      if (error instanceof LockConflictedError) {
        await this.#onConflict(mode, wait, started, wasHeld);
        if (wait.blocking) throw error;
        return false;
      }
      if (error instanceof LockExpiredError && !published.has(error)) {
        this.#observer?.expired();
        if (this.#kind.channels.expired.hasSubscribers) this.#kind.channels.expired.publish({ ...this.#message(mode, wait.blocking), error });
      }
      if (wait.signal?.aborted && error === wait.signal.reason) throw error;
      this.#log('warn', 'Failed to acquire the "{resource}" {noun}.', { error });
      throw new this.#kind.AcquiringError(`Failed to acquire the "${this.key.resource}" ${this.#kind.noun}.`, { cause: error });
    } finally {
      requestLifetime(this.key, null); // the request never travels with the key
      this.#acquiring--;
      if (this.#orphaned && this.#acquiring === 0) {
        this.#orphaned = false;
        if (this.#mode === null) await this.#deleteQuietly();
      }
    }
  }

  /** One store call per Symfony's rules; false = busy (non-blocking) or timed out. */
  async #save(mode: Mode, wait: ParsedAcquireOptions): Promise<boolean> {
    const store = this.#store;
    const shared = mode === 'shared';
    const trySave = () => (shared && isSharedLockStore(store) ? store.saveRead(this.key) : store.save(this.key));
    if (!wait.blocking) {
      try {
        await trySave();
        return true;
      } catch (error) {
        if (error instanceof LockConflictedError) return false;
        throw error;
      }
    }
    const deadline = wait.timeout === undefined ? null : performance.now() + wait.timeout;
    const native = shared ? isBlockingSharedLockStore(store) : isBlockingStore(store);
    if (native) {
      try {
        const options = toWaitOptions(wait);
        return await this.#bounded(
          () =>
            shared
              ? (store as BlockingSharedLockStore).waitAndSaveRead(this.key, options)
              : (store as BlockingStore).waitAndSave(this.key, options),
          wait,
          deadline,
          STORE_SETTLES_GRACE_MS,
        );
      } catch (error) {
        // A native wait only conflicts when its timeout ran out.
        if (error instanceof LockConflictedError && wait.timeout !== undefined) return false;
        throw error;
      }
    }
    return this.#pollUntilSaved(trySave, wait, deadline);
  }

  /** The fallback for stores that cannot wait: retry with jitter until saved or out of time. */
  async #pollUntilSaved(trySave: () => Promise<void>, wait: ParsedAcquireOptions, deadline: number | null): Promise<boolean> {
    for (;;) {
      try {
        if (!(await this.#bounded(trySave, wait, deadline, 0))) return false;
        return true;
      } catch (error) {
        if (!(error instanceof LockConflictedError)) throw error;
      }
      const left = deadline === null ? Infinity : deadline - performance.now();
      if (left <= 0) return false;
      await sleep(Math.min(jitteredRetryDelay(), left), wait.signal);
    }
  }

  /**
   * A store call bounded by the acquire's timeout and signal from its first instant,
   * whatever the store does with them (a first try behind a silent server, a client
   * that queues commands while disconnected): resolves true when the call succeeded,
   * false when the timeout ran out first; rejects with `signal.reason` on abort. A call
   * given up on that succeeds later has its lock deleted, so nothing stays held.
   * `timeout: 0` means one try: that try is bounded by the signal only.
   *
   * `grace`: a store's own wait takes the timeout and signal too, and its answer is the
   * better one (a storage failure rather than "timed out"; an exact cancellation that has
   * let go of the kernel or the server before it settles). Such a call gets `grace` ms
   * past the deadline or the abort to settle by itself; only a store that overruns that
   * is cut off here. A plain save (which knows nothing of limits) gets none.
   */
  async #bounded(call: () => Promise<void>, wait: ParsedAcquireOptions, deadline: number | null, grace: number): Promise<boolean> {
    const timed = deadline !== null && wait.timeout! > 0;
    const signal = wait.signal;
    if (!timed && !signal) {
      await call();
      return true;
    }
    signal?.throwIfAborted();
    const pending = call();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const limits = new Promise<false>((resolve, reject) => {
      if (timed) timer = setTimeout(() => resolve(false), Math.max(deadline - performance.now(), 0) + grace);
      if (signal) {
        onAbort = () => {
          if (grace === 0) return reject(signal.reason);
          clearTimeout(timer);
          timer = setTimeout(() => reject(signal.reason), grace);
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    let settled = false;
    try {
      const outcome = await Promise.race([pending.then(() => true as const), limits]);
      settled = outcome;
      return outcome;
    } catch (error) {
      // A rejection of the store call itself counts as settled; the abort does not.
      settled = !(signal?.aborted && error === signal.reason);
      throw error;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal!.removeEventListener('abort', onAbort);
      if (!settled) {
        pending.then(
          () => this.#undoAbandoned(),
          () => {}, // it failed: nothing was taken
        );
      }
    }
  }

  /** A store call this lock gave up on took the lock after all: give it back. */
  #undoAbandoned(): void {
    if (this.#mode !== null) return; // held again meanwhile, by this very key
    if (this.#acquiring > 0) {
      this.#orphaned = true; // decided when that acquire ends
      return;
    }
    void this.#deleteQuietly();
  }

  async #deleteQuietly(): Promise<void> {
    try {
      await this.#store.delete(this.key);
    } catch (error) {
      this.#log('warn', 'Failed to give back the "{resource}" {noun} taken by a store call that had been given up.', { error });
    }
  }

  #onHeld(mode: Mode): void {
    if (this.#mode === null) {
      this.#heldSince = performance.now();
      this.#holding++;
    }
    // Stores that lose locks with their connection say so at once (key-loss.ts).
    watchKeyLoss(this.key, this.#onKeyLost);
    this.#mode = mode;
    if (this.#autoRefresh && this.#refreshTimer === null) {
      const interval = Math.min(Math.max(this.#ttl! / 3, 1), MAX_TIMER_MS);
      this.#refreshTimer = setInterval(() => void this.#autoRefreshTick(), interval);
      // A held lock alone must not keep the process alive.
      this.#refreshTimer.unref();
    }
  }

  /**
   * A refused acquisition leaves this lock holding nothing, even when it held the lock
   * in the other mode before (a refused promotion): half-held states are bugs waiting.
   */
  async #onConflict(mode: Mode, wait: ParsedAcquireOptions, started: number, wasHeld: boolean): Promise<void> {
    this.#noteConflict(mode, wait, started);
    if (wasHeld) await this.#releaseQuietly();
    this.#endHolding(null);
  }

  #noteConflict(mode: Mode, wait: ParsedAcquireOptions, started: number): void {
    this.#log('info', 'Failed to acquire the "{resource}" {noun}. Someone else already acquired the {noun}.');
    this.#observer?.conflicted(this.key.resource);
    if (this.#kind.channels.conflict.hasSubscribers) {
      const waitedMs = performance.now() - started;
      this.#kind.channels.conflict.publish({ ...this.#message(mode, wait.blocking), reason: wait.blocking ? 'timeout' : 'busy', waitedMs });
    }
  }

  /**
   * Extends the lock's lifetime to `ttl` ms (default: the lock's TTL), measured from the
   * moment the request is sent. Until the store confirms, the lock keeps the lifetime it
   * had (a refresh in flight never makes the lock look younger), and a refresh that fails
   * leaves it exactly as it was.
   * @throws LockConflictedError when another owner holds it, LockExpiredError when the
   * lifetime ran out meanwhile; both also abort `lock.signal`.
   */
  async refresh(ttl?: Duration): Promise<void> {
    const effective = ttl === undefined ? this.#ttl : parseTtl(ttl, 'refresh(ttl)');
    if (effective === null) {
      throw new InvalidArgumentError(`You have to define an expiration duration to refresh the "${this.key.resource}" ${this.#kind.noun}.`);
    }
    const wasHeld = this.#mode !== null;
    const holding = this.#holding;
    const previous = lifetimeAccess.expiresAt(this.key);
    const reductions = lifetimeAccess.reductions(this.key);
    const sentAt = Date.now();
    try {
      await this.#store.putOffExpiration(this.key, effective);
      if (wasHeld && this.#holding !== holding) {
        // The holding ended while the store worked (the local lifetime ran out, or a
        // release): this confirmation comes too late to count.
        if (this.#mode === null) await this.#releaseQuietly();
        throw new this.#kind.ExpiredError(`The "${this.key.resource}" ${this.#kind.noun} ended before the store confirmed its refresh.`);
      }
      // Confirmed. A store whose locks expire (it reduced the key's lifetime) now holds
      // the lock for `effective` ms from no earlier than `sentAt`; one whose locks do not
      // expire leaves the key without an expiry, as Symfony does.
      const expires = lifetimeAccess.reductions(this.key) !== reductions;
      lifetimeAccess.setExpiresAt(this.key, expires ? sentAt + effective : null);
      if (this.#mode === null) this.#onHeld('exclusive');
      if (this.key.isExpired()) {
        await this.#releaseQuietly();
        throw new this.#kind.ExpiredError(
          `Failed to put off the expiration of the "${this.key.resource}" ${this.#kind.noun} within the specified time.`,
        );
      }
      this.#armExpiryTimer();
      this.#confirmRefresh(effective);
    } catch (error) {
      const current = this.#holding === holding;
      // Unknown outcome or refusal: the lifetime stays what it was before the request.
      if (current) lifetimeAccess.setExpiresAt(this.key, previous);
      if (error instanceof LockConflictedError || error instanceof LockExpiredError) {
        if (current) {
          this.#log('warn', 'Failed to define an expiration for the "{resource}" {noun}, someone else acquired the {noun}.');
          this.#lose(error);
        }
        throw error;
      }
      if (error instanceof InvalidArgumentError) throw error;
      this.#log('warn', 'Failed to define an expiration for the "{resource}" {noun}.', { error });
      throw new this.#kind.AcquiringError(`Failed to define an expiration for the "${this.key.resource}" ${this.#kind.noun}.`, { cause: error });
    }
  }

  /** A confirmed refresh, told to the channel and the logger. */
  #confirmRefresh(effective: number): void {
    if (this.#kind.channels.refresh.hasSubscribers) this.#kind.channels.refresh.publish(this.#message(this.#mode ?? 'exclusive', false));
    if (this.#logger) this.#log('debug', `Expiration defined for "{resource}" {noun} for ${formatDuration(effective)}.`);
  }

  /**
   * While held with an expiry, a timer ends the holding at the local expiry: `signal`
   * aborts then at the latest, whatever the store is doing (a refresh may hang behind a
   * partition for as long as the client's command timeout).
   */
  #armExpiryTimer(): void {
    this.#cancelExpiryTimer?.();
    this.#cancelExpiryTimer = null;
    if (this.#mode === null) return;
    const remaining = this.key.getRemainingLifetime();
    if (remaining === null) return;
    this.#cancelExpiryTimer = setLongTimeout(() => this.#onLocalExpiry(), Math.max(remaining, 0), { unref: true });
  }

  #onLocalExpiry(): void {
    this.#cancelExpiryTimer = null;
    if (this.#mode === null) return;
    const remaining = this.key.getRemainingLifetime();
    if (remaining === null) return;
    // Timers may fire a little early; the lifetime decides.
    if (remaining > 0) {
      this.#armExpiryTimer();
      return;
    }
    this.#lose(new this.#kind.ExpiredError(`The "${this.key.resource}" ${this.#kind.noun} expired: its lifetime ran out before a refresh was confirmed.`));
  }

  /** Timer callback: never throws; a refresh that cannot succeed any more ends the holding. */
  async #autoRefreshTick(): Promise<void> {
    if (this.#refreshing || this.#mode === null) return;
    this.#refreshing = true;
    try {
      await this.refresh();
    } catch (error) {
      // Conflicts and expiry already ended the holding in refresh(). A store failure is
      // retried at the next tick, unless the lifetime ran out meanwhile.
      if (this.#mode !== null && this.key.isExpired()) {
        this.#lose(new this.#kind.ExpiredError(`The "${this.key.resource}" ${this.#kind.noun} expired: it could not be refreshed in time.`, { cause: error }));
      }
    } finally {
      this.#refreshing = false;
    }
  }

  /** Whether this lock (its key) holds the lock now, asked of the store. */
  async isAcquired(): Promise<boolean> {
    const held = await this.#store.exists(this.key);
    // A key handed over from another process (createLockFromKey) becomes held here.
    if (held && this.#mode === null) this.#onHeld('exclusive');
    if (!held && this.#mode !== null) {
      this.#lose(new LockConflictedError(`The "${this.key.resource}" ${this.#kind.noun} is no longer held by this owner.`));
    }
    return held;
  }

  /**
   * Releases the lock; a no-op when this lock does not hold it.
   * @throws LockReleasingError when the store failed or still shows it held.
   */
  release(): Promise<void> {
    const store = this.#immediate;
    if (store === null) return this.#release();
    // The fast path: a store that releases on this thread settles the release in this call.
    try {
      try {
        store.deleteNow(this.key);
      } catch (error) {
        throw this.#releasingError(error);
      }
      const mode = this.#mode;
      const heldSince = this.#heldSince;
      this.#endHolding(this.#releasedReason);
      this.#released(mode, heldSince);
      return DONE;
    } catch (error) {
      this.#log('warn', 'Failed to release the "{resource}" {noun}.', { error });
      return Promise.reject(error);
    }
  }

  async #release(): Promise<void> {
    const resource = this.key.resource;
    try {
      try {
        await this.#store.delete(this.key);
      } catch (error) {
        throw this.#releasingError(error);
      }
      const mode = this.#mode;
      const heldSince = this.#heldSince;
      this.#endHolding(this.#releasedReason);
      let stillHeld = false;
      try {
        if (!verifiesDelete(this.#store)) stillHeld = await this.#store.exists(this.key);
      } catch (error) {
        throw new this.#kind.ReleasingError(`Failed to release the "${resource}" ${this.#kind.noun}.`, { cause: error });
      }
      if (stillHeld) throw new this.#kind.ReleasingError(`Failed to release the "${resource}" ${this.#kind.noun}, the resource is still locked.`);
      this.#released(mode, heldSince);
    } catch (error) {
      this.#log('warn', 'Failed to release the "{resource}" {noun}.', { error });
      throw error;
    }
  }

  #releasingError(error: unknown): Error {
    if (error instanceof LockReleasingError) return error;
    return new this.#kind.ReleasingError(`Failed to release the "${this.key.resource}" ${this.#kind.noun}.`, { cause: error });
  }

  /** A release confirmed by the store, told to the channel and the logger. */
  #released(mode: Mode | null, heldSince: number | null): void {
    if (mode !== null && this.#observer !== null) this.#observer.ended(true, heldSince === null ? null : performance.now() - heldSince);
    if (mode !== null && this.#kind.channels.release.hasSubscribers) {
      // A fresh message object: adding the field costs less than spreading a copy.
      const message = this.#message(mode, false) as LockMessage & { heldMs: number | null };
      message.heldMs = heldSince === null ? null : performance.now() - heldSince;
      this.#kind.channels.release.publish(message);
    }
    this.#log('debug', 'Successfully released the "{resource}" {noun}.');
  }

  async #releaseQuietly(): Promise<void> {
    try {
      await this.release();
    } catch {
      // The original failure is what the caller needs to see.
    }
  }

  /**
   * The number a store issued for the current exclusive acquisition, increasing with
   * every acquisition of the resource (stores that issue one: RedisStore). Give it to
   * the protected resource so that it can refuse writes from a holder whose lock
   * expired meanwhile. Undefined on stores without fencing.
   */
  get fencingToken(): bigint | undefined {
    return this.#mode === null ? undefined : getFencingToken(this.key);
  }

  /** Client-side view: no store round trip. */
  isExpired(): boolean {
    return this.key.isExpired();
  }

  getRemainingLifetime(): number | null {
    return this.key.getRemainingLifetime();
  }

  /**
   * Aborts when this holding period ends: released, or known lost (refresh refused,
   * expired, the store says another owner holds it). Each acquisition gets a fresh
   * signal; read it after acquiring. While the lock is not held, it is already aborted.
   */
  get signal(): AbortSignal {
    if (this.#mode === null) {
      return AbortSignal.abort(new DOMException(`The "${this.key.resource}" ${this.#kind.noun} is not held.`, 'AbortError'));
    }
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  /** The holding ended without a release: tell the signal and the channels why. */
  #lose(error: unknown): void {
    const mode = this.#mode;
    if (mode === null) return;
    const heldSince = this.#heldSince;
    this.#endHolding(() => error);
    if (typeof error === 'object' && error !== null) published.add(error);
    if (this.#observer !== null) {
      if (error instanceof LockExpiredError) this.#observer.expired();
      this.#observer.ended(false, heldSince === null ? null : performance.now() - heldSince);
    }
    const message = this.#message(mode, false);
    if (error instanceof LockExpiredError && this.#kind.channels.expired.hasSubscribers) this.#kind.channels.expired.publish({ ...message, error });
    if (this.#kind.channels.lost.hasSubscribers) {
      this.#kind.channels.lost.publish({ ...message, error, heldMs: heldSince === null ? null : performance.now() - heldSince });
    }
    this.#log('warn', 'The "{resource}" {noun} was lost.', { error });
  }

  /** Ends a holding period; the abort reason is built only when someone listens. */
  #endHolding(reason: (() => unknown) | null): void {
    if (this.#mode !== null) this.#holding++;
    this.#mode = null;
    unwatchKeyLoss(this.key);
    this.#heldSince = null;
    this.#cancelExpiryTimer?.();
    this.#cancelExpiryTimer = null;
    if (this.#refreshTimer !== null) {
      clearInterval(this.#refreshTimer);
      this.#refreshTimer = null;
    }
    const controller = this.#controller;
    if (!controller) return;
    this.#controller = null;
    controller.abort(reason === null ? new DOMException(`The "${this.key.resource}" ${this.#kind.noun} is not held.`, 'AbortError') : reason());
  }

  #message(mode: Mode, blocking: boolean): LockMessage {
    const message: LockMessage = { lock: this, resource: this.key.resource, store: this.#store.constructor.name, mode, blocking, ttl: this.#ttl };
    return this.#kind === LOCK_KIND ? message : (this.#kind.describe(this, message) as LockMessage);
  }

  /** `await using lock = …`: releases at scope exit when autoRelease is on and it is held. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#autoRelease || this.#mode === null) return;
    if (await this.isAcquired()) await this.release();
  }

  #log(level: keyof Logger, message: string, extra?: Record<string, unknown>): void {
    const logger = this.#logger;
    if (!logger) return;
    logger[level]?.(message.replace('{resource}', this.key.resource).replaceAll('{noun}', this.#kind.noun), { resource: this.key.resource, ...extra });
  }
}
