// SqlStore's options, checked one by one: an unknown key, a wrong type or an identifier
// that could smuggle SQL in is an InvalidArgumentError naming the option, the value and
// the accepted form. (Identifiers go into the SQL text, as Symfony's do: they cannot be
// bound as parameters.)
import { InvalidArgumentError, describeValue } from '../../core/errors.js';
import { validateTtl } from '../../core/duration.js';
import type { TableNames } from './dialect.js';

export interface SqlStoreOptions {
  /** The lock table; may be schema-qualified (`locks.lock_keys`). Default `lock_keys`. */
  table?: string;
  /** Default `key_id`. */
  idColumn?: string;
  /** Default `key_token`. */
  tokenColumn?: string;
  /** Default `key_expiration`. */
  expirationColumn?: string;
  /** Chance, in [0, 1], that a save also deletes every expired row. Default 0.01. */
  gcProbability?: number;
  /** Lifetime in ms a lock gets when saved, before the Lock's own TTL applies. Default 300,000. */
  initialTtl?: number;
  /**
   * Longest pause in ms between two tries of a waiting acquire. Default 1,000 where
   * releases are notified (PostgreSQL through a Pool or a DSN), 100 elsewhere (polling).
   */
  pollInterval?: number;
  /**
   * PostgreSQL: issue fencing tokens from a sequence `<table>_fence_seq` beside the
   * table (created with it). Default true; false on other databases, which have none.
   */
  fencing?: boolean;
}

export interface ResolvedSqlStoreOptions {
  names: TableNames;
  gcProbability: number;
  initialTtl: number;
  pollInterval: number | undefined;
  fencing: boolean | undefined;
}

const KNOWN = ['table', 'idColumn', 'tokenColumn', 'expirationColumn', 'gcProbability', 'initialTtl', 'pollInterval', 'fencing'];
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;

export function resolveSqlStoreOptions(options: unknown): ResolvedSqlStoreOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`SqlStore options must be an object; got ${describeValue(options)}.`);
  }
  const given = options as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (!KNOWN.includes(name)) {
      throw new InvalidArgumentError(`SqlStore has no option "${name}" (known: ${KNOWN.join(', ')}).`);
    }
  }
  const names: TableNames = {
    table: identifier('table', given.table ?? 'lock_keys', true),
    id: identifier('idColumn', given.idColumn ?? 'key_id', false),
    token: identifier('tokenColumn', given.tokenColumn ?? 'key_token', false),
    expiration: identifier('expirationColumn', given.expirationColumn ?? 'key_expiration', false),
  };
  const gc = given.gcProbability ?? 0.01;
  if (typeof gc !== 'number' || !(gc >= 0 && gc <= 1)) {
    throw new InvalidArgumentError(`SqlStore option "gcProbability" must be a number from 0 to 1; got ${describeValue(gc)}.`);
  }
  const initialTtl = given.initialTtl === undefined ? 300_000 : validateTtl(given.initialTtl, 'SqlStore option "initialTtl"');
  const poll = given.pollInterval;
  if (poll !== undefined && (typeof poll !== 'number' || !Number.isFinite(poll) || poll <= 0)) {
    throw new InvalidArgumentError(
      `SqlStore option "pollInterval" must be a positive, finite number of milliseconds; got ${describeValue(poll)}.`,
    );
  }
  const fencing = given.fencing;
  if (fencing !== undefined && typeof fencing !== 'boolean') {
    throw new InvalidArgumentError(`SqlStore option "fencing" must be a boolean; got ${describeValue(fencing)}.`);
  }
  return { names, gcProbability: gc, initialTtl, pollInterval: poll as number | undefined, fencing };
}

function identifier(option: string, value: unknown, qualified: boolean): string {
  const parts = typeof value === 'string' ? value.split('.') : [];
  const valid = parts.length >= 1 && parts.length <= (qualified ? 2 : 1) && parts.every((p) => IDENTIFIER.test(p));
  if (!valid) {
    const form = qualified ? 'an SQL identifier or schema.identifier' : 'an SQL identifier';
    throw new InvalidArgumentError(
      `SqlStore option "${option}" must be ${form} (letters, digits and _, not starting with a digit, at most 48 characters); got ${describeValue(value)}.`,
    );
  }
  return value as string;
}
