// fs-ext: flock(2) through NAN; the async calls run on the libuv threadpool.
// (Each adapter loads its package in connect(): a child process pays only for its own.)
import type { LockEnv } from '../harness/workspace.js';
import { openLockFile } from './lock-file.js';
import { isBusy, type Library } from './types.js';

export const fsExt: Library = {
  id: 'fs-ext',
  name: 'fs-ext',
  package: 'fs-ext',
  backend: 'local',
  mechanism: 'flock',
  waits: 'flock(LOCK_EX) blocking on a libuv threadpool thread (uv_queue_work), no timeout or cancel',
  waitsOnThreadpool: true,
  excludesInProcess: true,
  calls: { acquire: "flock(fd, 'ex', cb)", tryAcquire: "flock(fd, 'exnb', cb)", release: "flock(fd, 'un', cb)" },
  async connect(env: LockEnv) {
    const { flock } = await import('fs-ext');
    const call = (fd: number, flags: 'ex' | 'exnb' | 'un') =>
      new Promise<void>((resolve, reject) => flock(fd, flags, (error) => (error ? reject(error) : resolve())));
    return {
      lock(resource) {
        const file = openLockFile(env, resource);
        return {
          acquire: () => call(file.fd, 'ex'),
          tryAcquire: () => call(file.fd, 'exnb').then(() => true, (error) => (isBusy(error) ? false : Promise.reject(error))),
          release: () => call(file.fd, 'un'),
          close: () => file.close(),
        };
      },
      close: async () => {},
    };
  },
};
