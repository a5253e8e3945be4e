// The lock file of a resource for the fd-based peers, one open file description per lock
// (Node opens files close-on-exec).
import { closeSync, constants, openSync } from 'node:fs';
import { join } from 'node:path';
import type { LockEnv } from '../harness/workspace.js';

export function lockFilePath(env: LockEnv, resource: string): string {
  return join(env.dir, `${resource}.lock`);
}

export function openLockFile(env: LockEnv, resource: string): { fd: number; close(): void } {
  const fd = openSync(lockFilePath(env, resource), constants.O_RDWR | constants.O_CREAT, 0o600);
  return { fd, close: () => closeSync(fd) };
}
