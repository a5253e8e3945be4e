// Fencing tokens: a store that issues a monotonically increasing number per exclusive
// acquisition records it on the key; `lock.fencingToken` reads it. Kept as a decimal
// string in the key state, so that it survives key.toJSON() hand-offs.
import type { Key } from './key.js';

const FENCING_STATE = 'lockwright:fencing-token';

export function setFencingToken(key: Key, token: bigint | null): void {
  if (token === null) key.removeState(FENCING_STATE);
  else key.setState(FENCING_STATE, token.toString());
}

export function getFencingToken(key: Key): bigint | undefined {
  const value = key.getState<string | undefined>(FENCING_STATE);
  return value === undefined || value === null ? undefined : BigInt(value);
}
