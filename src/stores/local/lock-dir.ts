// Where FlockStore keeps its lock files, and the checks that make a directory fit.
import { accessSync, chmodSync, constants, lstatSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, LockStorageError, describeValue } from '../../core/errors.js';

/**
 * The default lock directory of this user. It depends on the user id and on nothing in
 * the environment (no XDG_RUNTIME_DIR, no TMPDIR): a cron job, a systemd service and a
 * login shell of one user must land on the same files, or they do not exclude each other.
 *
 * - `/run/lock/lockwright-<uid>` where /run/lock is the shared lock directory (sticky and
 *   world-writable, 1777: Debian, Ubuntu and their derivatives). It is the place FHS
 *   keeps for lock files: a tmpfs emptied at boot (stale lock files cannot pile up), not
 *   replaced by systemd's PrivateTmp=, not aged by systemd-tmpfiles (`/run/lock` has no
 *   age), and not emptied at logout as /run/user/<uid> (XDG_RUNTIME_DIR) and, through
 *   logind's RemoveIPC=, /dev/shm are. A lock file deleted while held means two holders,
 *   so those last two are out.
 * - `/var/tmp/lockwright-<uid>` elsewhere (Fedora, Arch, SUSE keep /run/lock for root or
 *   a `lock` group; macOS and the BSDs have none). /var/tmp rather than /tmp: it is aged
 *   three times slower by systemd-tmpfiles (30 days against 10) and by most cleaners,
 *   and systemd-tmpfiles (v254+) skips files that hold a BSD lock, which a held lock file
 *   does. A service with PrivateTmp= sees its own /var/tmp there: give it `dir`.
 *
 * The choice depends on the system only, so every process of the user makes the same
 * one. Never the shared directory itself: there any user could plant files (or
 * symlinks) where our lock files go; the per-user directory is 0700 and owner-checked.
 */
export function defaultLockDir(): string {
  const uid = process.getuid?.() ?? 0;
  return join(sharedLockDirUsable() ? '/run/lock' : '/var/tmp', `lockwright-${uid}`);
}

/** /run/lock exists as a real directory that every user may create entries in (1777). */
function sharedLockDirUsable(): boolean {
  try {
    const stat = lstatSync('/run/lock');
    return stat.isDirectory() && (stat.mode & 0o1777) === 0o1777;
  } catch {
    return false;
  }
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
