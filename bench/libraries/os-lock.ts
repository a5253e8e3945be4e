// os-lock: POSIX record locks (fcntl F_SETLK/F_SETLKW) through N-API async work, i.e.
// on the libuv threadpool, for every call.
import type { LockEnv } from '../harness/workspace.js';
import { openLockFile } from './lock-file.js';
import { isBusy, type Library } from './types.js';

export const osLock: Library = {
  id: 'os-lock',
  name: 'os-lock',
  package: 'os-lock',
  backend: 'local',
  mechanism: 'posix',
  waits: 'fcntl(F_SETLKW) blocking on a libuv threadpool thread (napi_async_work), no timeout or cancel',
  waitsOnThreadpool: true,
  // POSIX record locks belong to the process: two locks of one process never conflict.
  excludesInProcess: false,
  calls: { acquire: 'lock(fd, { exclusive: true })', tryAcquire: 'lock(fd, { exclusive: true, immediate: true })', release: 'unlock(fd)' },
  async connect(env: LockEnv) {
    const { lock, unlock } = await import('os-lock');
    return {
      lock(resource) {
        const file = openLockFile(env, resource);
        return {
          acquire: () => lock(file.fd, { exclusive: true }),
          tryAcquire: () => lock(file.fd, { exclusive: true, immediate: true }).then(() => true, (error) => (isBusy(error) ? false : Promise.reject(error))),
          release: () => unlock(file.fd),
          close: () => file.close(),
        };
      },
      close: async () => {},
    };
  },
};
