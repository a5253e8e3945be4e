// The common part of the advisory-lock stores' DSNs (postgresql+advisory://,
// mysql+advisory://): an ordinary server URL whose userinfo, host, port and one-name
// path mean the same for every server. Each backend's dsn.ts checks its schemes, reads
// its own query options and shapes its driver's config; this file reads the rest, with
// errors that name what is wrong and never show a password (redactDsn).
import { InvalidArgumentError } from '../core/errors.js';
import { decodeDsnPart, redactDsn } from './dsn.js';

/** What a server URL says, decoded; absent parts are absent. */
export interface ServerDsnParts {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
}

export interface ServerDsn {
  parts: ServerDsnParts;
  /** The query options, in order, for the backend to read. */
  options: URLSearchParams;
  /** An InvalidArgumentError: `Invalid <server> DSN "<redacted>": <why>.` */
  fail: (why: string) => InvalidArgumentError;
}

/**
 * Reads `dsn` as `form` says (for messages), after checking it against `scheme`;
 * `server` names the server in messages ("MySQL", "PostgreSQL").
 */
export function parseServerDsn(dsn: string, scheme: RegExp, server: string, form: string): ServerDsn {
  const fail = (why: string) => new InvalidArgumentError(`Invalid ${server} DSN "${redactDsn(dsn)}": ${why}.`);
  if (!scheme.test(dsn)) throw fail(`expected ${form}`);
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw fail(`it is not a valid URL (expected ${form})`);
  }
  const parts: ServerDsnParts = {};
  if (url.hostname) parts.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (url.port) parts.port = Number(url.port);
  if (url.username) parts.user = decodeDsnPart(url.username, dsn);
  if (url.password) parts.password = decodeDsnPart(url.password, dsn);
  const database = url.pathname.replace(/^\//, '');
  if (database.includes('/')) throw fail(`the path must be one database name, got "${database}"`);
  if (database) parts.database = decodeDsnPart(database, dsn);
  return { parts, options: url.searchParams, fail };
}

/** The option `connect_timeout` (libpq's unit: seconds, as in PHP's DSNs), in milliseconds. */
export function connectTimeoutMs(value: string, fail: (why: string) => InvalidArgumentError): number {
  const seconds = Number(value);
  if (value === '' || !Number.isFinite(seconds) || seconds <= 0) {
    throw fail(`option "connect_timeout" must be a positive number of seconds, got "${value}"`);
  }
  return Math.ceil(seconds * 1000);
}
