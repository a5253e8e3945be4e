// One interface over every library measured, so that each scenario (and each child
// process) drives lockwright and its peers the same way.
import type { Mechanism } from '../harness/physical.js';
import type { LockEnv } from '../harness/workspace.js';

export interface BenchLock {
  /** Waits until held, the library's own way (see Library.waits). */
  acquire(): Promise<unknown>;
  /** One non-blocking attempt, true when held; absent when the library has none. */
  tryAcquire?(): Promise<boolean> | boolean;
  release(): Promise<unknown> | void;
  /** Frees what the lock holds open (a file descriptor, a client). */
  close(): Promise<unknown> | void;
}

export interface Session {
  /** A lock on `resource`: distinct calls give distinct locks (distinct owners). */
  lock(resource: string): Promise<BenchLock> | BenchLock;
  close(): Promise<void>;
}

export interface Library {
  /** Short id used on command lines and by child processes. */
  id: string;
  /** Row label: the package and, where it matters, the class or setting. */
  name: string;
  backend: 'local' | 'redis' | 'database' | 'memcached' | 'zookeeper';
  /** The npm package the adapter loads (a peer that failed to install is left out). */
  package?: string;
  /** How a blocked acquire waits, with the settings used: printed under the tables. */
  waits: string;
  /** The kernel primitive underneath, for "× the physical limit"; none for mkdir or Redis. */
  mechanism?: Mechanism;
  /**
   * How often a blocked acquire retries, for libraries that poll (the first retry, for
   * a backoff). Hand-offs release at a random moment within it, not always just after
   * the waiter's first attempt.
   */
  pollMs?: number;
  /** Does a blocked acquire occupy a libuv threadpool thread? */
  waitsOnThreadpool: boolean;
  /** Do two locks of one process exclude each other? (POSIX record locks do not.) */
  excludesInProcess: boolean;
  /** The calls measured, as a user writes them. */
  calls: { acquire: string; tryAcquire?: string; release: string };
  connect(env: LockEnv): Promise<Session>;
}

/** A not-held outcome of a non-blocking attempt, as fs and lock syscalls report it. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EACCES';
}
