// Where the CLI's locks live: --store <dsn>, --store-file <path> (a file holding the
// DSN), or the LOCKWRIGHT_STORE environment variable, else flock in the private
// per-user directory. A DSN with a password given as --store is readable by every user
// of the machine (/proc/<pid>/cmdline, ps); the file and the variable are not (the
// environment of a process is readable by its user and root only). The DSN becomes a
// store here (createStore), with errors the CLI can report: a bad DSN is a usage
// error, a store that cannot be opened is unavailable; messages never show a password
// (createStore masks it). A path resource (flock(1)'s form) brings its own store: the
// file it names.
import { readFileSync, statSync } from 'node:fs';
import { InvalidArgumentError } from '../core/errors.js';
import type { PersistingStore } from '../core/store.js';
import { createPermitStore, type ClosablePermitStore } from '../stores/create-permit-store.js';
import { createStore } from '../stores/create-store.js';
import { PERMIT_BACKENDS } from '../stores/permit-backends.js';
export { closeStore } from '../stores/close-store.js';
import { CliExit, EXIT } from './exit-codes.js';
import { FileLockStore, isPathResource, lockFilePath } from './file-lock-store.js';

export const STORE_VARIABLE = 'LOCKWRIGHT_STORE';

export interface StoreSource {
  dsn: string;
  /** Names the source in messages: "--store", "--store-file /etc/x", "LOCKWRIGHT_STORE". */
  label: string;
  /** Given on this command line (not inherited from the environment). */
  explicit: boolean;
}

/** The store the options and environment name; undefined for the default (flock). */
export function storeSource(options: { store?: string; storeFile?: string }, env: NodeJS.ProcessEnv = process.env): StoreSource | undefined {
  if (options.store !== undefined && options.storeFile !== undefined) {
    throw new InvalidArgumentError('--store and --store-file contradict each other: give one.');
  }
  if (options.store !== undefined) return { dsn: options.store, label: '--store', explicit: true };
  if (options.storeFile !== undefined) return { dsn: readStoreFile(options.storeFile), label: `--store-file ${options.storeFile}`, explicit: true };
  const variable = env[STORE_VARIABLE];
  if (variable !== undefined && variable.trim() !== '') return { dsn: variable, label: STORE_VARIABLE, explicit: false };
  return undefined;
}

/** The DSN in a file: its first line, surrounding blanks ignored. */
function readStoreFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidArgumentError(`--store-file: cannot read "${path}" (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); it should hold a store DSN such as redis://:password@host:6379.`);
  }
  const dsn = text.split('\n').map((line) => line.trim()).find((line) => line !== '');
  if (dsn === undefined) throw new InvalidArgumentError(`--store-file: "${path}" is empty; it should hold a store DSN such as redis://:password@host:6379.`);
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    process.stderr.write(`lockwright: warning: --store-file "${path}" can be read by other users (mode ${mode.toString(8).padStart(4, '0')}); chmod 600 it if it holds a password.\n`);
  }
  return dsn;
}

export function openStore(source: StoreSource | undefined): PersistingStore {
  try {
    return createStore(source?.dsn ?? 'flock');
  } catch (error) {
    const code = error instanceof InvalidArgumentError ? EXIT.usage : EXIT.unavailable;
    throw new CliExit(code, `${source?.label ?? '--store'}: ${(error as Error).message}`);
  }
}

/**
 * The store and lock name for `resource`: a path locks that file with flock(2), a name
 * lives in the store. A path with --store/--store-file is a contradiction; a store
 * from LOCKWRIGHT_STORE is only a default, and a path overrides it.
 */
export function openStoreFor(resource: string, source: StoreSource | undefined): { store: PersistingStore; resource: string } {
  return openStoresFor([resource], source).targets[0]!;
}

/**
 * openStoreFor() for several resources (`run --also`): every path its own file, every
 * name in the one store the options name (opened once, only if a name needs it). A
 * resource named twice (also a path given two ways) is one target. Close `stores`.
 */
export function openStoresFor(
  resources: readonly string[],
  source: StoreSource | undefined,
): { targets: Array<{ store: PersistingStore; resource: string }>; stores: PersistingStore[] } {
  // Paths first: they fail (a missing directory) before any connection is opened.
  const files = new Map<string, PersistingStore>();
  for (const resource of resources.filter(isPathResource)) {
    if (source?.explicit) {
      throw new InvalidArgumentError(
        `"${resource}" is a path (it contains "/"), which locks that file with flock(2); it takes no ${source.label.split(' ')[0]}. ` +
          'Give a lock name without "/" to use a store.',
      );
    }
    const file = lockFilePath(resource);
    if (files.has(file)) continue;
    try {
      files.set(file, new FileLockStore(file));
    } catch (error) {
      throw new CliExit(EXIT.unavailable, `cannot use the lock file "${file}": ${(error as Error).message}`);
    }
  }
  const names = [...new Set(resources.filter((resource) => !isPathResource(resource)))];
  const named = names.length > 0 ? openStore(source) : null;
  const targets = [...names.map((resource) => ({ store: named!, resource })), ...[...files].map(([resource, store]) => ({ store, resource }))];
  return { targets, stores: [...(named ? [named] : []), ...files.values()] };
}

/**
 * The permit store of `run --limit`: the DSN the options or LOCKWRIGHT_STORE name (a
 * permit-store DSN: redis://…, semaphore://…, lock+<lock store DSN>), else the default.
 */
export function openPermitStore(source: StoreSource | undefined): ClosablePermitStore {
  const dsn = source?.dsn ?? defaultPermitStoreDsn();
  try {
    return createPermitStore(dsn);
  } catch (error) {
    const code = error instanceof InvalidArgumentError ? EXIT.usage : EXIT.unavailable;
    const hint = error instanceof InvalidArgumentError && !/^lock\+/i.test(dsn.trim()) ? ' With --limit, the store holds permits: for slot locks on a lock store, write lock+<its DSN> (e.g. lock+flock).' : '';
    throw new CliExit(code, `${source?.label ?? '--limit'}: ${(error as Error).message}${hint}`);
  }
}

/**
 * Where `run --limit` keeps its permits by default: one System V semaphore of N permits
 * on Linux (the kernel gives back the permits of a process that dies), where lockwright
 * has that permit store; else N slot locks in the private per-user flock directory.
 * This is the one place that decides.
 */
export function defaultPermitStoreDsn(): string {
  const sysv = process.platform === 'linux' && PERMIT_BACKENDS.some((backend) => backend.accepts('semaphore'));
  return sysv ? 'semaphore' : 'lock+flock';
}
