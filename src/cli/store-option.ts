// The --store option: a DSN (createStore) turned into a store, with errors the CLI can
// report (a bad DSN is a usage error; a store that cannot be opened is unavailable).
import { InvalidArgumentError } from '../core/errors.js';
import type { PersistingStore } from '../core/store.js';
import { createStore } from '../stores/create-store.js';
export { closeStore } from '../stores/close-store.js';
import { CliExit, EXIT } from './exit-codes.js';

export function openStore(dsn: string | undefined): PersistingStore {
  try {
    return createStore(dsn ?? 'flock');
  } catch (error) {
    const code = error instanceof InvalidArgumentError ? EXIT.usage : EXIT.unavailable;
    throw new CliExit(code, `--store: ${(error as Error).message}`);
  }
}
