// Small pieces every remote store used to write for itself: Symfony's random token kept
// in the key's state, the "held by another owner" conflict, and the check of a positive
// millisecond option.
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, LockConflictedError, describeValue } from '../core/errors.js';
import type { Key } from '../core/key.js';

/** Symfony's token (base64 of 32 random bytes, 44 characters), kept in `key` under `state`. */
export function symfonyToken(key: Key, state: string): string {
  if (!key.hasState(state)) key.setState(state, randomBytes(32).toString('base64'));
  return key.getState<string>(state);
}

export function heldByAnother(key: Key): LockConflictedError {
  return new LockConflictedError(`The "${key.resource}" lock is held by another owner.`);
}

/** `value`, when it is a positive finite number of milliseconds; else an InvalidArgumentError naming `name`. */
export function positiveMs(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`${name} must be a positive, finite number of milliseconds; got ${describeValue(value)}.`);
  }
  return value;
}
