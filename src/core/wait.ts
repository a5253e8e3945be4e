// Parsing of acquire options and the abortable sleep of the polling fallback.
import { InvalidArgumentError, describeValue } from './errors.js';
import { checkKeys } from './options.js';
import { parseTimeout, validateSignal, type Duration } from './duration.js';
import type { WaitOptions } from './store.js';

/**
 * `acquire(true)`, or `{ blocking, signal, timeout }`; timeout or signal imply blocking.
 * `timeout` is milliseconds or a string with a unit ('500ms', '30s').
 */
export type AcquireOptions = boolean | { blocking?: boolean; signal?: AbortSignal; timeout?: Duration };

export interface ParsedAcquireOptions {
  readonly blocking: boolean;
  readonly signal?: AbortSignal;
  readonly timeout?: number;
}

/** acquire() and acquire(true): the same frozen answers every call (nothing reads them to change them). */
const NON_BLOCKING: ParsedAcquireOptions = Object.freeze({ blocking: false });
const BLOCKING: ParsedAcquireOptions = Object.freeze({ blocking: true });

export function parseAcquireOptions(options: AcquireOptions | undefined): ParsedAcquireOptions {
  if (options === undefined || options === false) return NON_BLOCKING;
  if (options === true) return BLOCKING;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(
      `acquire() options must be a boolean or an object { blocking, signal, timeout }; got ${describeValue(options)}.`,
    );
  }
  checkKeys(options, ['blocking', 'signal', 'timeout'], 'acquire() options');
  const { blocking, signal, timeout } = options;
  if (blocking !== undefined && typeof blocking !== 'boolean') {
    throw new InvalidArgumentError(`options.blocking must be a boolean; got ${describeValue(blocking)}.`);
  }
  const parsed: { blocking: boolean; signal?: AbortSignal; timeout?: number } = { blocking: blocking ?? (signal !== undefined || timeout !== undefined) };
  if (signal !== undefined) parsed.signal = validateSignal(signal, 'options.signal');
  if (timeout !== undefined) parsed.timeout = parseTimeout(timeout, 'options.timeout');
  if (blocking === false && (signal !== undefined || timeout !== undefined)) {
    throw new InvalidArgumentError('options.blocking is false, but options.signal or options.timeout asks to wait.');
  }
  return parsed;
}

/** The store-level view of the wait limits. */
export function toWaitOptions(parsed: ParsedAcquireOptions): WaitOptions {
  const options: WaitOptions = {};
  if (parsed.signal) options.signal = parsed.signal;
  if (parsed.timeout !== undefined) options.timeout = parsed.timeout;
  return options;
}

/** Resolves after `ms`, or rejects with `signal.reason` as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Symfony's retry delay: 100 ms ± 10 ms, so competing pollers drift apart. */
export function jitteredRetryDelay(base = 100, spread = 10): number {
  return base - spread + Math.floor(Math.random() * (2 * spread + 1));
}

/** Timers cap at 2^31-1 ms (about 24.8 days) and fire at once beyond it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * setTimeout for any finite delay: re-armed in steps below the timer cap, so that a
 * wait of months really waits. Returns the function that cancels it.
 */
export function setLongTimeout(callback: () => void, ms: number, options: { unref?: boolean } = {}): () => void {
  const deadline = performance.now() + ms;
  let timer: ReturnType<typeof setTimeout>;
  const arm = (left: number) => {
    timer = setTimeout(() => {
      const remaining = deadline - performance.now();
      if (remaining > 1) arm(remaining);
      else callback();
    }, Math.min(left, MAX_TIMER_MS));
    if (options.unref) timer.unref();
  };
  arm(ms);
  return () => clearTimeout(timer);
}
