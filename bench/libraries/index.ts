// Every library measured, in table order: lockwright first, then its peers.
import { advisoryLock } from './advisory-lock.js';
import { fsExt } from './fs-ext.js';
import { fsNativeExtensions } from './fs-native-extensions.js';
import { lockwrightAddonFlock, lockwrightFlock, lockwrightRedis, lockwrightSemaphore } from './lockwright.js';
import { lockwrightMysqlAdvisory, lockwrightPgAdvisory, lockwrightSqlMysql, lockwrightSqlPostgres, lockwrightSqlSqlite } from './lockwright-databases.js';
import { lockwrightMemcached, lockwrightZookeeper } from './lockwright-kv.js';
import { osLock } from './os-lock.js';
import { properLockfileDefault, properLockfileTight } from './proper-lockfile.js';
import { redisSemaphore } from './redis-semaphore.js';
import { redlockV4, sesameRedlock } from './redlock.js';
import { lockwrightFlockPermits, lockwrightRedisPermits, lockwrightSysvPermits, redisSemaphoreSemaphore } from './semaphores.js';
import { tableLock } from './table-lock.js';
import type { Library } from './types.js';

export type { BenchLock, Library, Session } from './types.js';

export const localLibraries: Library[] = [
  lockwrightFlock,
  lockwrightSemaphore,
  fsNativeExtensions,
  fsExt,
  osLock,
  properLockfileDefault,
  properLockfileTight,
];

export const redisLibraries: Library[] = [lockwrightRedis, redisSemaphore, redlockV4, sesameRedlock];

export const databaseLibraries: Library[] = [
  lockwrightPgAdvisory,
  lockwrightMysqlAdvisory,
  lockwrightSqlPostgres,
  lockwrightSqlMysql,
  lockwrightSqlSqlite,
  advisoryLock,
  tableLock,
];

export const kvLibraries: Library[] = [lockwrightMemcached, lockwrightZookeeper];

/** Counting semaphores of SEMAPHORE_LIMIT permits (semaphores.ts), not locks. */
export const semaphoreLibraries: Library[] = [lockwrightRedisPermits, redisSemaphoreSemaphore, lockwrightSysvPermits, lockwrightFlockPermits];

/** Rows that show where lockwright's time goes (no peer): measured beside localLibraries where a scenario says so. */
export const localFloorLibraries: Library[] = [lockwrightAddonFlock];

const allLists = [localLibraries, localFloorLibraries, redisLibraries, databaseLibraries, kvLibraries, semaphoreLibraries];

/**
 * Leaves out the peers whose package cannot be loaded here (a native build that failed
 * at install) and says which and why, for the report.
 */
export async function dropUnavailable(): Promise<string[]> {
  const missing: string[] = [];
  for (const list of allLists) {
    for (const library of [...list]) {
      if (!library.package) continue;
      try {
        await import(library.package);
      } catch (error) {
        list.splice(list.indexOf(library), 1);
        missing.push(`${library.name} (${library.package} cannot be loaded: ${(error as Error).message.split('\n')[0]})`);
      }
    }
  }
  return missing;
}

export function libraryById(id: string): Library {
  const library = allLists.flat().find((candidate) => candidate.id === id);
  if (!library) throw new Error(`unknown library ${id}`);
  return library;
}
