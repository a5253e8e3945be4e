// Every statement MysqlStore sends, and Symfony 8.2's lock names. The pinned session
// only runs statements that return at once (GET_LOCK with timeout 0, RELEASE_LOCK,
// IS_USED_LOCK, KILL QUERY); the waiting GET_LOCK runs on a wait connection.
import { createHash } from 'node:crypto';

/**
 * Symfony's MysqlStore lock name: the sha256 of the resource in lowercase hex (64
 * characters: within MySQL's 64-character limit; MariaDB allows 192).
 */
export function lockName(resource: string): string {
  return createHash('sha256').update(resource, 'utf8').digest('hex');
}

/** Symfony's save: 1 granted, -1 this session holds it already, 0 busy, NULL error. */
export const TRY_LOCK = 'SELECT IF(IS_USED_LOCK(?) = CONNECTION_ID(), -1, GET_LOCK(?, 0)) AS ok';
export const UNLOCK = 'SELECT RELEASE_LOCK(?) AS ok';
export const IS_HELD = 'SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS held';
export const KILL_QUERY = (threadId: number) => `KILL QUERY ${Math.trunc(threadId)}`;

/**
 * Waits until the name is free and lets go at once (one statement: MySQL evaluates
 * the select list in order). Seconds, fractions allowed. MariaDB refuses Symfony's -1
 * ("wait forever"), so a wait without limit waits a year at a time.
 */
export const WAIT = 'SELECT GET_LOCK(?, ?) AS got, RELEASE_LOCK(?) AS released';
export const FOREVER_SECONDS = 31_536_000;

/** Every named lock of the session (MySQL 5.7+, MariaDB 10.5+). */
export const RELEASE_ALL = 'SELECT RELEASE_ALL_LOCKS() AS n';
