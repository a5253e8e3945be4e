// Turning the addon's errno errors into lock errors, in one place.
import { LockStorageError } from '../../core/errors.js';
import type { NativeError } from '../../native.js';

export function isNativeError(error: unknown): error is NativeError {
  return error instanceof Error && typeof (error as Partial<NativeError>).code === 'string';
}

/** A LockStorageError that says what was being done; the errno error is its cause. */
export function storageError(error: unknown, doing: string): Error {
  if (!isNativeError(error)) return error instanceof Error ? error : new LockStorageError(`${doing}: ${String(error)}`);
  let hint = '';
  if (error.code === 'EIDRM' || (error.code === 'EINVAL' && error.syscall.startsWith('sem'))) {
    hint = ' The semaphore set was removed (by ipcrm, or by systemd-logind RemoveIPC at logout): the lock or permits it held are lost.';
  } else if (error.code === 'ELOOP') {
    hint = ' The lock file is a symbolic link; lockwright never follows links in lock directories.';
  } else if (error.code === 'EMFILE' || error.code === 'ENFILE') {
    hint = ' Each held flock lock keeps a file descriptor open.';
  }
  return new LockStorageError(`${doing}: ${error.message}.${hint}`, { cause: error });
}
