// Every statement PostgreSqlStore sends. The pinned session only ever runs statements
// that return at once (pg_try_*, unlocks, a pg_locks lookup, pg_cancel_backend); the
// one statement that blocks runs on a wait connection (wait-connections.ts).
import type { LockMode } from '../session-locks.js';

const suffix = (mode: LockMode) => (mode === 'shared' ? '_shared' : '');

export const tryLock = (mode: LockMode) => `SELECT pg_try_advisory_lock${suffix(mode)}($1::bigint) AS ok`;
export const unlock = (mode: LockMode) => `SELECT pg_advisory_unlock${suffix(mode)}($1::bigint) AS ok`;

/** Symfony's exists(): the session's own granted hold of the id (classid 0 = one bigint). */
export const IS_HELD = `SELECT count(*)::int AS n FROM pg_locks
  WHERE locktype = 'advisory' AND classid = 0 AND objid = $1::oid AND objsubid = 1
    AND mode = $2 AND granted AND pid = pg_backend_pid()`;
export const pgLockMode = (mode: LockMode) => (mode === 'shared' ? 'ShareLock' : 'ExclusiveLock');

export const BACKEND_PID = 'SELECT pg_backend_pid() AS pid';
export const CANCEL = 'SELECT pg_cancel_backend($1) AS ok';

/** lock_timeout takes at most INT_MAX ms; a longer wait is waited in several rounds. */
export const MAX_LOCK_TIMEOUT_MS = 2_147_483_647;

/**
 * One round trip that waits on the server until `id` could be granted in `mode`, and
 * holds nothing once it returns: a *transaction* lock, let go by the COMMIT in the same
 * string (or by the ROLLBACK after a timeout or a cancel). `lock_timeout` 0 = no limit;
 * set_config(…, true) makes the settings transaction-local, so they revert by
 * themselves. The numbers are ours (an integer id, integer ms), never user text; a
 * multi-statement string cannot take $n parameters.
 */
export function waitStatement(id: number, mode: LockMode, timeoutMs: number | undefined): string {
  const limit = timeoutMs === undefined ? 0 : Math.min(MAX_LOCK_TIMEOUT_MS, Math.max(1, Math.ceil(timeoutMs)));
  if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`not an advisory lock id: ${id}`);
  return (
    `BEGIN; SELECT set_config('lock_timeout', '${limit}ms', true), set_config('statement_timeout', '0', true); ` +
    `SELECT pg_advisory_xact_lock${suffix(mode)}(${id}::bigint); COMMIT`
  );
}

/** SQLSTATEs: lock_timeout ran out; the statement was cancelled (pg_cancel_backend). */
export const LOCK_NOT_AVAILABLE = '55P03';
export const QUERY_CANCELED = '57014';
