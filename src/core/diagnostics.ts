// Every diagnostics_channel lockwright publishes, in one place. `Lock` publishes them,
// so every store is instrumented at once, and only when someone subscribes: without
// subscribers the cost is one boolean check per operation.
import diagnostics from 'node:diagnostics_channel';
import type { Lock } from './lock.js';

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
