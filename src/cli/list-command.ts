// `lockwright list`: the lock files of an flock directory and who holds them. Each is
// printed as its path, the one name `status` is sure to map back to the same file (a
// file name keeps only a sanitized, shortened form of the resource name).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FlockStore } from '../stores/local/flock-store.js';
import { CliExit, EXIT } from './exit-codes.js';
import { flockHolders, type FlockHolder } from './proc-locks.js';
import { closeStore, openStore, type StoreSource } from './store-option.js';

export interface ListedLock {
  /** The lock file's path: what `status` takes to look at it. */
  path: string;
  /** The lock file's name in the directory. */
  file: string;
  /**
   * The resource name as far as the file name keeps it (sanitized, cut to 50
   * characters): a hint for people, not a name `status` can always map back.
   */
  name: string;
  holders: FlockHolder[] | null;
}

export async function listLocks(source: StoreSource | undefined): Promise<{ dir: string; locks: ListedLock[] }> {
  const store = openStore(source);
  try {
    if (!(store instanceof FlockStore)) {
      throw new CliExit(EXIT.usage, `list works on flock stores (a directory of lock files); the store of ${source?.label} is not one.`);
    }
    const locks = readdirSync(store.dir)
      .filter((file) => /^sf\..*\.[A-Za-z0-9+_]{7}\.lock$/.test(file))
      .sort()
      .map((file) => {
        const name = file.slice(3, file.length - '.xxxxxxx.lock'.length);
        let holders: FlockHolder[] | null;
        try {
          holders = flockHolders(join(store.dir, file));
        } catch {
          holders = null; // removed meanwhile
        }
        return { path: join(store.dir, file), file, name, holders };
      });
    return { dir: store.dir, locks };
  } finally {
    await closeStore(store);
  }
}

export function formatList({ dir, locks }: { dir: string; locks: ListedLock[] }): string {
  const lines = [`${dir}: ${locks.length} lock file${locks.length === 1 ? '' : 's'}`];
  for (const lock of locks) {
    const state = lock.holders === null ? 'unknown' : lock.holders.length === 0 ? 'free' : `held by ${lock.holders.map((h) => `pid ${h.pid} (${h.mode})`).join(', ')}`;
    lines.push(`  ${lock.path}  ${state}`);
  }
  return lines.join('\n');
}
