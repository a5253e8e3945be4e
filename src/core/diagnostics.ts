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

export const channels = {
  acquire: diagnostics.tracingChannel<AcquireMessage, AcquireMessage>('lockwright:lock:acquire'),
  conflict: diagnostics.channel('lockwright:lock:conflict'),
  release: diagnostics.channel('lockwright:lock:release'),
  refresh: diagnostics.channel('lockwright:lock:refresh'),
  lost: diagnostics.channel('lockwright:lock:lost'),
  expired: diagnostics.channel('lockwright:lock:expired'),
} as const;

/** The channel names, for subscribing with `diagnostics_channel.subscribe(name, fn)`. */
export const channelNames = {
  acquire: 'tracing:lockwright:lock:acquire:*',
  conflict: 'lockwright:lock:conflict',
  release: 'lockwright:lock:release',
  refresh: 'lockwright:lock:refresh',
  lost: 'lockwright:lock:lost',
  expired: 'lockwright:lock:expired',
} as const;

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

export const semaphoreChannels = {
  acquire: diagnostics.tracingChannel<SemaphoreMessage, SemaphoreMessage>('lockwright:semaphore:acquire'),
  conflict: diagnostics.channel('lockwright:semaphore:conflict'),
  release: diagnostics.channel('lockwright:semaphore:release'),
  refresh: diagnostics.channel('lockwright:semaphore:refresh'),
  lost: diagnostics.channel('lockwright:semaphore:lost'),
  expired: diagnostics.channel('lockwright:semaphore:expired'),
} as const;

export const semaphoreChannelNames = {
  acquire: 'tracing:lockwright:semaphore:acquire:*',
  conflict: 'lockwright:semaphore:conflict',
  release: 'lockwright:semaphore:release',
  refresh: 'lockwright:semaphore:refresh',
  lost: 'lockwright:semaphore:lost',
  expired: 'lockwright:semaphore:expired',
} as const;
