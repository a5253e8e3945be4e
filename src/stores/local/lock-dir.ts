// Where FlockStore keeps its lock files, and the checks that make a directory fit.
import { accessSync, chmodSync, constants, lstatSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { InvalidArgumentError, LockStorageError, describeValue } from '../../core/errors.js';

/**
 * A directory private to this user: `$XDG_RUNTIME_DIR/lockwright` when the runtime dir
 * exists, else `<tmpdir>/lockwright-<uid>`. Never the shared temp directory itself: there
 * any user could plant files (or symlinks) where our lock files go.
 */
export function defaultLockDir(): string {
  const uid = process.getuid?.() ?? 0;
  const runtime = process.env.XDG_RUNTIME_DIR;
  if (runtime && isAbsolute(runtime)) {
    try {
      const stat = statSync(runtime);
      if (stat.isDirectory() && stat.uid === uid) return join(runtime, 'lockwright');
    } catch {
      // A stale XDG_RUNTIME_DIR (set, but gone) falls back to the temp directory.
    }
  }
  return join(tmpdir(), `lockwright-${uid}`);
}

/** Creates the private default directory (0700) or checks that it is still private. */
export function preparePrivateLockDir(dir: string): string {
  const uid = process.getuid?.() ?? 0;
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new LockStorageError(`Cannot create the lock directory "${dir}": ${(error as Error).message}`, { cause: error });
    }
  }
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) {
    throw new LockStorageError(`The lock directory "${dir}" is not a directory (a symlink or a file is in its place).`);
  }
  if (stat.uid !== uid) {
    throw new LockStorageError(
      `The lock directory "${dir}" belongs to uid ${stat.uid}, not to this user (uid ${uid}); ` +
        'another user may have created it. Remove it, or pass a directory of your own.',
    );
  }
  if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return dir;
}

/**
 * A directory the caller chose: created (recursively) when missing, and it must be a
 * writable directory. Errors name the path.
 */
export function prepareLockDir(dir: unknown): string {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new InvalidArgumentError(`The FlockStore directory must be a non-empty string; got ${describeValue(dir)}.`);
  }
  if (dir.includes('\0')) throw new InvalidArgumentError('The FlockStore directory path contains a NUL character.');
  const path = resolve(dir);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    try {
      mkdirSync(path, { recursive: true });
      isDirectory = true;
    } catch (error) {
      throw new InvalidArgumentError(
        `The FlockStore directory "${path}" does not exist and cannot be created: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  if (!isDirectory) throw new InvalidArgumentError(`The FlockStore directory "${path}" is not a directory.`);
  try {
    accessSync(path, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new InvalidArgumentError(`The FlockStore directory "${path}" is not writable.`, { cause: error });
  }
  return path;
}
