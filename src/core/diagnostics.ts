// Every diagnostics_channel lockwright publishes, in one place. `Lock` publishes them,
// so every store is instrumented at once, and only when someone subscribes: without
// subscribers the cost is one boolean check per operation.
import diagnostics from 'node:diagnostics_channel';
import type { Lock } from './lock.js';
import type { Semaphore } from '../semaphore/semaphore.js';

/** What every message carries. */
export interface LockMessage {
  /** The Lock instance (compare identity to follow one lock; never mutate it). */
  lock: Lock;
  resource: string;
  /** The store's class name, e.g. "FlockStore". */
  store: string;
  mode: 'exclusive' | 'shared';
  /** A blocking acquire (waits); false for non-blocking tries and for other events. */
  blocking: boolean;
  /** The lock's TTL in ms, null when it has none. */
  ttl: number | null;
}

/**
 * `lockwright:lock:acquire` (a TracingChannel: start, end, asyncStart, asyncEnd, error).
 * `result` is set to true (held) or false (busy, or timed out) when the promise settles;
 * `error` when it rejects (including an abort, whose reason is the error).
 */
export interface AcquireMessage extends LockMessage {
  result?: boolean;
  error?: unknown;
}

/** `lockwright:lock:conflict`: an acquire found the lock held (busy) or gave up waiting (timeout). */
export interface ConflictMessage extends LockMessage {
  reason: 'busy' | 'timeout';
  /** Milliseconds the acquire took, waiting included. */
  waitedMs: number;
}

/** `lockwright:lock:release`: released by its holder; `heldMs` since it was acquired. */
export interface ReleaseMessage extends LockMessage {
  heldMs: number | null;
}

/** `lockwright:lock:refresh`: the lifetime was extended to `ttl` ms from now. */
export type RefreshMessage = LockMessage;

/**
 * `lockwright:lock:lost`: the lock is known lost while held (a refresh was refused, the
 * store says another owner holds it, or it expired); `lock.signal` aborts with `error`.
 */
export interface LostMessage extends LockMessage {
  error: unknown;
  heldMs: number | null;
}

/** `lockwright:lock:expired`: the lifetime ran out (also reported as `lost` when it was held). */
export interface ExpiredMessage extends LockMessage {
  error: unknown;
}

/** The six channels of a family (`lock` or `semaphore`): one shape for both. */
function channelFamily<F extends string, M extends object>(family: F) {
  return {
    acquire: diagnostics.tracingChannel<M, M>(`lockwright:${family}:acquire`),
    conflict: diagnostics.channel(`lockwright:${family}:conflict`),
    release: diagnostics.channel(`lockwright:${family}:release`),
    refresh: diagnostics.channel(`lockwright:${family}:refresh`),
    lost: diagnostics.channel(`lockwright:${family}:lost`),
    expired: diagnostics.channel(`lockwright:${family}:expired`),
  } as const;
}

/** A family's channel names, for subscribing with `diagnostics_channel.subscribe(name, fn)`. */
function channelNamesOf<F extends string>(family: F) {
  return {
    acquire: `tracing:lockwright:${family}:acquire:*`,
    conflict: `lockwright:${family}:conflict`,
    release: `lockwright:${family}:release`,
    refresh: `lockwright:${family}:refresh`,
    lost: `lockwright:${family}:lost`,
    expired: `lockwright:${family}:expired`,
  } as const;
}

export const channels = channelFamily<'lock', AcquireMessage>('lock');

/** The channel names, for subscribing with `diagnostics_channel.subscribe(name, fn)`. */
export const channelNames = channelNamesOf('lock');

/**
 * What every `lockwright:semaphore:*` message carries. The events are those of locks
 * (acquire, conflict, release, refresh, lost, expired) with the same extra fields
 * (`result`, `error`, `reason`, `waitedMs`, `heldMs`), for a semaphore's permits.
 */
export interface SemaphoreMessage {
  /** The Semaphore instance (compare identity to follow one semaphore; never mutate it). */
  semaphore: Semaphore;
  resource: string;
  /** The permit store's class name, e.g. "RedisPermitStore". */
  store: string;
  /** How many permits the semaphore has, and how many this one takes. */
  limit: number;
  weight: number;
  blocking: boolean;
  /** The permits' TTL in ms, null when they do not expire. */
  ttl: number | null;
}

export const semaphoreChannels = channelFamily<'semaphore', SemaphoreMessage>('semaphore');

export const semaphoreChannelNames = channelNamesOf('semaphore');
