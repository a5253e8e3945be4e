// fs-native-extensions: open file description locks (F_OFD_SETLK/F_OFD_SETLKW on Linux);
// tryLock and unlock run on the JS thread, waitForLock on a thread created per wait.
import type { LockEnv } from '../harness/workspace.js';
import { openLockFile } from './lock-file.js';
import type { Library } from './types.js';

export const fsNativeExtensions: Library = {
  id: 'fs-native-extensions',
  name: 'fs-native-extensions',
  package: 'fs-native-extensions',
  backend: 'local',
  mechanism: 'ofd',
  waits: 'fcntl(F_OFD_SETLKW) blocking on a thread created for each wait (uv_thread_create), no timeout or cancel',
  waitsOnThreadpool: false,
  excludesInProcess: true,
  calls: { acquire: 'await waitForLock(fd)', tryAcquire: 'tryLock(fd)', release: 'unlock(fd)' },
  async connect(env: LockEnv) {
    const { tryLock, unlock, waitForLock } = await import('fs-native-extensions');
    return {
      lock(resource) {
        const file = openLockFile(env, resource);
        return {
          acquire: () => waitForLock(file.fd),
          tryAcquire: () => tryLock(file.fd),
          release: () => unlock(file.fd),
          close: () => file.close(),
        };
      },
      close: async () => {},
    };
  },
};
