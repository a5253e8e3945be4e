// System V keys for resource names: a 31-bit hash of a namespaced name (never ftok,
// whose 8+8+16 bits collide easily), plus a fingerprint from other bits of the same
// digest that the set carries, so that two names on one key are detected, not shared.
import { createHash } from 'node:crypto';

export interface SemaphoreIdentity {
  /** The semget key: 1 … 2^31-1 (0 would be IPC_PRIVATE). */
  key: number;
  /** 30 bits stored as two 15-bit halves, each non-zero (zero means "not written yet"). */
  fingerprint: number;
}

/**
 * What a set holds: a lock's mutex, or a counting semaphore's permits. Each kind hashes
 * in its own space, so a lock and a semaphore of one name never meet on one key.
 */
export type SemaphoreKind = 'lock' | 'permits';

// A byte that UTF-8 never produces: no lock name's hash input can start with it.
const PERMITS_SPACE = Buffer.from([0xff]);

export function semaphoreIdentity(namespace: string, resource: string, kind: SemaphoreKind = 'lock'): SemaphoreIdentity {
  // Lock sets keep the hash they always had; permit sets hash in a space of their own.
  const hash = createHash('sha256');
  if (kind === 'permits') hash.update(PERMITS_SPACE);
  const digest = hash.update(`${namespace}\0${resource}`, 'utf8').digest();
  const key = digest.readUInt32BE(0) & 0x7fffffff || 1;
  const high = (digest.readUInt16BE(4) % 0x7fff) + 1;
  const low = (digest.readUInt16BE(6) % 0x7fff) + 1;
  return { key, fingerprint: (high << 15) | low };
}
