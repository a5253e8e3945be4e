// advisory-lock (npm): PostgreSQL session advisory locks on a two-int key from the
// resource's sha256. Every lock() / tryLock() opens a new pg.Client and the unlock
// function ends it (the lock is bound to that connection), so a pair costs a connection
// set-up; a blocked lock() waits in pg_advisory_lock on the server.
import type { Library } from './types.js';
import { DATABASE_DSNS } from './lockwright-databases.js';

/** advisory-lock takes a libpq URL: the advisory DSN without its "+advisory". */
const url = () => DATABASE_DSNS.pgAdvisory.replace(/^[a-z]+\+advisory:/i, 'postgres:');

export const advisoryLock: Library = {
  id: 'advisory-lock',
  name: 'advisory-lock',
  package: 'advisory-lock',
  backend: 'database',
  waits: 'on the server: `pg_advisory_lock` on a connection opened for the call, woken by the release',
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls: { acquire: 'unlock = await mutex.lock()', tryAcquire: 'unlock = await mutex.tryLock()', release: 'await unlock()' },
  async connect() {
    // A CommonJS module compiled from `export default`: Node's ESM import wraps it once more.
    const module = (await import('advisory-lock')) as unknown as { default: typeof import('advisory-lock').default | { default: typeof import('advisory-lock').default } };
    const advisory = typeof module.default === 'function' ? module.default : module.default.default;
    const createMutex = advisory(url());
    return {
      lock(resource) {
        const mutex = createMutex(resource);
        let unlock: (() => Promise<void>) | undefined;
        return {
          acquire: async () => {
            unlock = await mutex.lock();
          },
          tryAcquire: async () => {
            unlock = await mutex.tryLock();
            return unlock !== undefined;
          },
          release: async () => {
            const held = unlock;
            unlock = undefined;
            await held?.();
          },
          close: async () => {
            await unlock?.();
          },
        };
      },
      close: async () => {},
    };
  },
};
