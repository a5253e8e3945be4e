// proper-lockfile: mkdir(<file>.lock) as the atomic step, mtime heartbeat, and waiting by
// retrying mkdir with the `retry` package's backoff. Two settings are measured: the
// package's own backoff (what `retries: 10` gives), and a tight 10 ms poll.
import type { LockEnv } from '../harness/workspace.js';
import { lockFilePath } from './lock-file.js';
import type { BenchLock, Library } from './types.js';

type RetryOptions = { retries?: number; forever?: boolean; factor?: number; minTimeout?: number; maxTimeout?: number };

function properLockfile(id: string, name: string, retries: RetryOptions, pollMs: number, waits: string): Library {
  return {
    id,
    name,
    package: 'proper-lockfile',
    backend: 'local',
    pollMs,
    waits,
    waitsOnThreadpool: false,
    excludesInProcess: true,
    calls: { acquire: 'release = await lock(file, { retries })', tryAcquire: 'release = await lock(file)', release: 'await release()' },
    async connect(env: LockEnv) {
      const { lock: properLock } = await import('proper-lockfile');
      return {
        lock(resource): BenchLock {
          const file = lockFilePath(env, resource);
          let release: (() => Promise<void>) | undefined;
          const take = async (options: { retries: RetryOptions | number }) => {
            release = await properLock(file, { ...options, realpath: false });
          };
          return {
            acquire: () => take({ retries }),
            tryAcquire: () =>
              take({ retries: 0 }).then(
                () => true,
                (error: NodeJS.ErrnoException) => (error.code === 'ELOCKED' ? false : Promise.reject(error)),
              ),
            release: async () => {
              const held = release;
              release = undefined;
              await held?.();
            },
            close: async () => {
              await release?.();
            },
          };
        },
        close: async () => {},
      };
    },
  };
}

export const properLockfileDefault = properLockfile(
  'proper-lockfile',
  'proper-lockfile',
  { retries: 10 },
  1_000,
  "retries mkdir with `retries: 10`, i.e. the retry package's defaults: first retry after 1 s, doubling (1, 2, 4 … 512 s)",
);

export const properLockfileTight = properLockfile(
  'proper-lockfile-10ms',
  'proper-lockfile (10 ms poll)',
  { retries: 1, forever: true, factor: 1, minTimeout: 10, maxTimeout: 10 },
  10,
  'retries mkdir every 10 ms forever (`retries: { forever: true, minTimeout: 10, factor: 1 }`), a tuned setting',
);
