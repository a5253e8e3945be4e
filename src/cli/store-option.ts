// The --store option: a DSN (createStore) turned into a store, with errors the CLI can
// report (a bad DSN is a usage error; a store that cannot be opened is unavailable).
// A path resource (flock(1)'s form) brings its own store: the file it names.
import { InvalidArgumentError } from '../core/errors.js';
import type { PersistingStore } from '../core/store.js';
import { createStore } from '../stores/create-store.js';
export { closeStore } from '../stores/close-store.js';
import { CliExit, EXIT } from './exit-codes.js';
import { FileLockStore, isPathResource, lockFilePath } from './file-lock-store.js';

export function openStore(dsn: string | undefined): PersistingStore {
  try {
    return createStore(dsn ?? 'flock');
  } catch (error) {
    const code = error instanceof InvalidArgumentError ? EXIT.usage : EXIT.unavailable;
    throw new CliExit(code, `--store: ${(error as Error).message}`);
  }
}

/**
 * The store and lock name for `resource`: a path locks that file with flock(2) (and
 * takes no --store: the two would contradict each other), a name lives in the store.
 */
export function openStoreFor(resource: string, dsn: string | undefined): { store: PersistingStore; resource: string } {
  if (!isPathResource(resource)) return { store: openStore(dsn), resource };
  if (dsn !== undefined) {
    throw new InvalidArgumentError(
      `"${resource}" is a path (it contains "/"), which locks that file with flock(2); it takes no --store. ` +
        'Give a lock name without "/" to use --store.',
    );
  }
  const file = lockFilePath(resource);
  try {
    return { store: new FileLockStore(file), resource: file };
  } catch (error) {
    throw new CliExit(EXIT.unavailable, `cannot use the lock file "${file}": ${(error as Error).message}`);
  }
}
