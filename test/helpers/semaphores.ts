import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { semaphoreIdentity, type SemaphoreKind } from '../../src/stores/local/semaphore-key.js';

/**
 * A namespace of its own for one test file, and the clean-up of every System V set its
 * resources created (kernel objects outlive processes; tests must not leak them).
 */
export function semaphoreNamespace(): { namespace: string; track(resource: string): void; trackPermits(resource: string): void } {
  const namespace = `lockwright-test-${randomUUID()}`;
  const keys = new Set<number>();
  afterAll(() => {
    for (const key of keys) removeSemaphoreSet(key);
  });
  const add = (resource: string, kind: SemaphoreKind) => keys.add(semaphoreIdentity(namespace, resource, kind).key);
  // track: SemaphoreStore's lock sets; trackPermits: SysvPermitStore's permit sets.
  return { namespace, track: (resource) => add(resource, 'lock'), trackPermits: (resource) => add(resource, 'permits') };
}

export function removeSemaphoreSet(key: number): void {
  try {
    execFileSync('ipcrm', ['-S', `0x${key.toString(16)}`], { stdio: 'ignore' });
  } catch {
    // Not created (the test never got that far), or already removed.
  }
}
