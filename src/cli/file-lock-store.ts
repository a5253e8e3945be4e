// A resource given as a path (`/var/lock/job.lock`, `./x.lock`: anything holding a "/")
// locks exactly that file with flock(2), as util-linux flock(1) does, so that the two
// exclude each other on it. It is an FlockStore whose every resource maps to that one
// file (FlockStore reaches its files through pathFor()), so waits, cancellation and
// shared locks behave exactly as on the store's own directory.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { FlockStore } from '../stores/local/flock-store.js';
import { CliExit, EXIT } from './exit-codes.js';

/** flock(1)'s rule: a lock name holding a "/" is a file. */
export function isPathResource(resource: string): boolean {
  return resource.includes('/');
}

/**
 * The file a path resource locks: absolute, with symlinks resolved (lock files are
 * opened O_NOFOLLOW; flock(1) follows a symlinked lock file, so we lock its target).
 */
export function lockFilePath(resource: string): string {
  const path = resolve(resource);
  if (existsSync(path)) return realpathSync(path);
  const dir = dirname(path);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  // flock(1) creates the lock file, never its directory: neither do we.
  if (!isDir) throw new CliExit(EXIT.unavailable, `cannot open the lock file "${path}": its directory does not exist.`);
  return join(realpathSync(dir), basename(path));
}

export class FileLockStore extends FlockStore {
  readonly file: string;

  /** `file`: from lockFilePath(). Created as flock(1) creates it: 0666 less the umask. */
  constructor(file: string) {
    super({ dir: dirname(file), mode: 0o666 & ~currentUmask() });
    this.file = file;
  }

  override pathFor(_resource: string): string {
    return this.file;
  }
}

function currentUmask(): number {
  // process.umask() without an argument reads it (deprecated only for its race with a
  // concurrent set, which this single-threaded CLI never does).
  return process.umask();
}
