// Checks and small rules shared by the advisory-lock stores (PostgreSqlStore,
// MysqlStore), whose public surfaces are alike: the same options object, the same wait
// options, and locks that never expire. Each store keeps its own class, SQL and client
// shapes in its folder; this file only keeps these rules worded once.
import { InvalidArgumentError, describeValue } from '../core/errors.js';
import { validateTimeout } from '../core/duration.js';
import type { Key } from '../core/key.js';
import { markLifetimeApplied, requestedLifetime } from '../core/lifetime-request.js';
import type { WaitOptions } from '../core/store.js';

/**
 * Checks a store's options (only `waitConnection`, a function); `connectionForm` says
 * what that function returns, for the error.
 */
export function checkAdvisoryStoreOptions(store: string, options: unknown, connectionForm: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${store} options must be an object; got ${describeValue(options)}.`);
  }
  for (const name of Object.keys(options)) {
    if (name !== 'waitConnection') throw new InvalidArgumentError(`Unknown ${store} option "${name}" (known: waitConnection).`);
  }
  const waitConnection = (options as { waitConnection?: unknown }).waitConnection;
  if (waitConnection !== undefined && typeof waitConnection !== 'function') {
    throw new InvalidArgumentError(
      `${store} option "waitConnection" must be a function returning ${connectionForm}; got ${describeValue(waitConnection)}.`,
    );
  }
}

/** Checks a wait's options before anything is asked of the server; an aborted signal throws its reason. */
export function checkWaitOptions(options: WaitOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`Wait options must be an object; got ${describeValue(options)}.`);
  }
  if (options.timeout !== undefined) validateTimeout(options.timeout, 'options.timeout');
  options.signal?.throwIfAborted();
}

/**
 * Advisory and named locks never expire, so whatever TTL the Lock asks for is as good as
 * applied: it need not follow the save with a refresh round trip to set it.
 */
export function noExpiry(key: Key): void {
  const ttl = requestedLifetime(key);
  if (ttl !== null) markLifetimeApplied(key, ttl);
}
