// Scratch space for one run: lock directories and semaphore namespaces that are
// removed afterwards (System V sets outlive processes).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { semaphoreIdentity } from '../../dist/stores/semaphore-key.js';

export class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'locksmith-bench-'));
  readonly namespace = `locksmith-bench-${process.pid}`;
  readonly #semaphores = new Set<string>();

  /** A resource name whose semaphore set will be removed at the end. */
  resource(label: string): string {
    this.#semaphores.add(label);
    return label;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
    for (const resource of this.#semaphores) {
      const key = semaphoreIdentity(this.namespace, resource).key;
      try {
        execFileSync('ipcrm', ['-S', `0x${key.toString(16)}`], { stdio: 'ignore' });
      } catch {
        // never created
      }
    }
  }
}
