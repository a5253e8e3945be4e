// Scratch space for one run, and everything that must be undone afterwards: lock
// directories, System V semaphore sets (they outlive processes), child processes and
// servers (redis, memcached, ZooKeeper). dispose() runs even when a scenario throws.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { semaphoreIdentity } from '../../dist/stores/local/semaphore-key.js';

/** What a library needs to find the same locks from any process of the run. */
export interface LockEnv {
  /** Directory for lock files. */
  dir: string;
  /** SemaphoreStore namespace: keeps the run's System V keys apart from everyone else's. */
  namespace: string;
  /** Port of the run's own redis-server, once started. */
  redisPort?: number;
  /** Port of the run's own memcached, once started. */
  memcachedPort?: number;
  /** Port of the run's own ZooKeeper, once started. */
  zookeeperPort?: number;
}

export class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'lockwright-bench-'));
  readonly namespace = `lockwright-bench-${process.pid}`;
  redisPort: number | undefined;
  memcachedPort: number | undefined;
  zookeeperPort: number | undefined;
  readonly #semaphores = new Set<string>();
  readonly #cleanups: Array<() => void> = [];
  #disposed = false;

  get env(): LockEnv {
    return {
      dir: this.dir,
      namespace: this.namespace,
      ...(this.redisPort ? { redisPort: this.redisPort } : {}),
      ...(this.memcachedPort ? { memcachedPort: this.memcachedPort } : {}),
      ...(this.zookeeperPort ? { zookeeperPort: this.zookeeperPort } : {}),
    };
  }

  /** A resource name whose semaphore set (if any gets created) is removed at the end. */
  resource(label: string): string {
    this.#semaphores.add(label);
    return label;
  }

  /** Runs `cleanup` at dispose, last registered first. It must be synchronous. */
  onDispose(cleanup: () => void): void {
    this.#cleanups.push(cleanup);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const cleanup of this.#cleanups.reverse()) {
      try {
        cleanup();
      } catch (error) {
        process.stderr.write(`cleanup failed: ${(error as Error).message}\n`);
      }
    }
    this.#removeSemaphores();
    rmSync(this.dir, { recursive: true, force: true });
  }

  #removeSemaphores(): void {
    const existing = existingSemaphoreKeys();
    const ours = [...this.#semaphores]
      // Lock sets and permit sets (SysvPermitStore) of each resource the run named.
      .flatMap((resource) => [semaphoreIdentity(this.namespace, resource).key >>> 0, semaphoreIdentity(this.namespace, resource, 'permits').key >>> 0])
      .filter((key) => existing.has(key));
    // One ipcrm per few hundred sets: the scale scenario creates ten thousand.
    for (let i = 0; i < ours.length; i += 500) {
      const args = ours.slice(i, i + 500).flatMap((key) => ['-S', `0x${key.toString(16)}`]);
      try {
        execFileSync('ipcrm', args, { stdio: 'ignore' });
      } catch {
        // a set already gone: ipcrm removes the others and exits non-zero
      }
    }
  }
}

/** Keys of the System V semaphore sets that exist now (ipcs lists them in hex). */
function existingSemaphoreKeys(): Set<number> {
  try {
    const listing = execFileSync('ipcs', ['-s'], { encoding: 'utf8' });
    return new Set([...listing.matchAll(/^0x([0-9a-f]+)\s/gim)].map((m) => Number.parseInt(m[1]!, 16) >>> 0));
  } catch {
    return new Set();
  }
}
