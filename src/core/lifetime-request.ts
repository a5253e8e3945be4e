// A Lock tells its store, through the key, the TTL it will give the lock once saved. A
// store that sets expiries as it saves (Redis) can then save with that TTL and say so,
// sparing the Lock its post-acquire refresh: one round trip instead of two.
import type { Key } from './key.js';

const REQUESTED = 'lockwright:requested-ttl';
const APPLIED = 'lockwright:applied-ttl';

export function requestLifetime(key: Key, ttl: number | null): void {
  key.removeState(APPLIED);
  if (ttl === null) key.removeState(REQUESTED);
  else key.setState(REQUESTED, ttl);
}

/** For stores: the TTL the Lock asks for, null when it asks for none. */
export function requestedLifetime(key: Key): number | null {
  return key.getState<number | undefined>(REQUESTED) ?? null;
}

/** For stores: the save gave the lock `ttl` ms (the key's lifetime reflects it). */
export function markLifetimeApplied(key: Key, ttl: number): void {
  key.setState(APPLIED, ttl);
}

/** For Lock: whether the store applied `ttl`; clears both marks so they never travel. */
export function takeLifetimeApplied(key: Key, ttl: number): boolean {
  const applied = key.getState<number | undefined>(APPLIED) === ttl;
  key.removeState(APPLIED);
  key.removeState(REQUESTED);
  return applied;
}
