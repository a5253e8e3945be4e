// Stores whose locks live on a connection (PostgreSQL and MySQL advisory locks) learn
// of a loss by an event, not by a refresh: the server closed the session, and every
// lock on it is gone at once. They report it here, per key; the Lock holding that key
// listens while it holds, so that its `signal` aborts at once. A WeakMap, not key
// state: a callback must never travel with key.toJSON().
import type { Key } from './key.js';

const watchers = new WeakMap<Key, (error: unknown) => void>();

/** For Lock: call `onLost` if the store reports `key` lost while watched. */
export function watchKeyLoss(key: Key, onLost: (error: unknown) => void): void {
  watchers.set(key, onLost);
}

export function unwatchKeyLoss(key: Key): void {
  watchers.delete(key);
}

/** For stores: `key` no longer holds its lock (its session ended); `error` says why. */
export function reportKeyLost(key: Key, error: unknown): void {
  const onLost = watchers.get(key);
  if (!onLost) return;
  watchers.delete(key);
  onLost(error);
}
