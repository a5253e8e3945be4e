import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { semaphoreIdentity } from '../../src/stores/local/semaphore-key.js';

/**
 * A namespace of its own for one test file, and the clean-up of every System V set its
 * resources created (kernel objects outlive processes; tests must not leak them).
 */
export function semaphoreNamespace(): { namespace: string; track(resource: string): void } {
  const namespace = `lockwright-test-${randomUUID()}`;
  const resources = new Set<string>();
  afterAll(() => {
    for (const resource of resources) removeSemaphoreSet(semaphoreIdentity(namespace, resource).key);
  });
  return { namespace, track: (resource) => resources.add(resource) };
}

export function removeSemaphoreSet(key: number): void {
  try {
    execFileSync('ipcrm', ['-S', `0x${key.toString(16)}`], { stdio: 'ignore' });
  } catch {
    // Not created (the test never got that far), or already removed.
  }
}
