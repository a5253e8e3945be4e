// Every library measured, in table order: locksmith first, then its peers.
import { fsExt } from './fs-ext.js';
import { fsNativeExtensions } from './fs-native-extensions.js';
import { locksmithFlock, locksmithRedis, locksmithSemaphore } from './locksmith.js';
import { osLock } from './os-lock.js';
import { properLockfileDefault, properLockfileTight } from './proper-lockfile.js';
import { redisSemaphore } from './redis-semaphore.js';
import { redlockV4, sesameRedlock } from './redlock.js';
import type { Library } from './types.js';

export type { BenchLock, Library, Session } from './types.js';

export const localLibraries: Library[] = [
  locksmithFlock,
  locksmithSemaphore,
  fsNativeExtensions,
  fsExt,
  osLock,
  properLockfileDefault,
  properLockfileTight,
];

export const redisLibraries: Library[] = [locksmithRedis, redisSemaphore, redlockV4, sesameRedlock];

export function libraryById(id: string): Library {
  const library = [...localLibraries, ...redisLibraries].find((candidate) => candidate.id === id);
  if (!library) throw new Error(`unknown library ${id}`);
  return library;
}
