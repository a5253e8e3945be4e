// Every duration the API accepts goes through this one parser: a number of milliseconds,
// or a string with a unit ('250ms', '30s', '15m', '1h'), so that `ttl: '30s'` says what a
// Symfony user means by `ttl: 30` (seconds), and `ttl: 30` keeps meaning 30 ms. A string
// without a unit is refused rather than guessed. Errors name the option, the value and a
// correct example, and show the unit.
//
// Bounds on a TTL, for every store alike (a configuration valid on one store must not
// fail when moved to another):
// - at least MIN_TTL_MS (10 ms): a lock must outlive the round trip that stores it; a
//   TTL below that is always a mistake (a unit slip: 0.03 for 30 s, LOCK_TTL=1e-300);
// - at most MAX_TTL_MS (365 days): every store can represent it with room to spare
//   (Redis PEXPIREAT and its sorted-set scores stay plain integers far below 1e17 ms;
//   SQL tables that keep the expiry as a 32-bit epoch second reach 2038; Memcached takes
//   absolute expiries in 32-bit seconds). A lock that should never expire has `ttl: null`.
import { InvalidArgumentError, InvalidTtlError, describeValue } from './errors.js';

/** Milliseconds, or a string with a unit: '250ms', '30s', '15m', '1h'. */
export type Duration = number | string;

export const MIN_TTL_MS = 10;
export const MAX_TTL_MS = 365 * 24 * 3_600_000;

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PATTERN = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h)\s*$/;
const EXAMPLES = "250, '250ms', '30s', '15m' or '1h'";

/** Lossless, with the largest unit that divides the value: "30 s", "15 min", "1.5 ms". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return `${ms} ms`;
  for (const [unit, size] of [['h', 3_600_000], ['min', 60_000], ['s', 1_000]] as const) {
    if (ms !== 0 && ms % size === 0) return `${ms / size} ${unit}`;
  }
  return `${ms} ms`;
}

/** A duration in milliseconds (any finite number ≥ 0; callers add their bounds). */
export function parseDuration(value: unknown, name: string, ErrorClass: typeof InvalidArgumentError = InvalidArgumentError): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
    throw new ErrorClass(`${name} must be a duration: a number of milliseconds or a string with a unit (${EXAMPLES}); got ${describeValue(value)}.`);
  }
  if (typeof value === 'string') {
    const match = PATTERN.exec(value);
    if (match) return Number(match[1]) * UNITS[match[2]!]!;
    const bare = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*$/.exec(value);
    const hint = bare ? ` A string needs a unit: '${bare[1]}s' for seconds, or the number ${bare[1]} for milliseconds.` : '';
    throw new ErrorClass(`${name} must be a duration (${EXAMPLES}); got ${describeValue(value)}.${hint}`);
  }
  throw new ErrorClass(`${name} must be a duration: a number of milliseconds or a string with a unit (${EXAMPLES}); got ${describeValue(value)}.`);
}

/** A lock TTL from the API: a duration between MIN_TTL_MS and MAX_TTL_MS. */
export function parseTtl(value: unknown, name = 'ttl'): number {
  const ms = parseDuration(value, name, InvalidTtlError);
  checkTtlBounds(ms, name, describeValue(value));
  return ms;
}

/** A TTL option that may also be null (no expiry). */
export function parseOptionalTtl(value: unknown, name = 'ttl'): number | null {
  return value === null ? null : parseTtl(value, name);
}

/**
 * The TTL bounds, for a value already in milliseconds; `shown` is how the user wrote it,
 * `example` how to write 30 seconds where the value came from.
 */
export function checkTtlBounds(
  ms: number,
  name: string,
  shown: string = describeValue(ms),
  example = "Numbers are milliseconds: for 30 seconds write '30s' (or 30000).",
): void {
  if (ms < MIN_TTL_MS) {
    throw new InvalidTtlError(
      `${name} is ${shown}, ${formatDuration(ms)}: a TTL must be at least ${formatDuration(MIN_TTL_MS)}, or the lock expires before ` +
        `the store has answered. ${example}`,
    );
  }
  if (ms > MAX_TTL_MS) {
    throw new InvalidTtlError(
      `${name} is ${shown}, ${formatDuration(ms)}: a TTL can be at most 365 days (${formatDuration(MAX_TTL_MS)}), the longest ` +
        `every store can keep. For a lock that never expires use ttl: null; otherwise e.g. '1h'.`,
    );
  }
}

/** A wait limit from the API: zero or a duration. */
export function parseTimeout(value: unknown, name = 'timeout'): number {
  return parseDuration(value, name);
}

/**
 * For stores, which receive TTLs already parsed by Lock: a positive, finite number of
 * milliseconds, at most MAX_TTL_MS. (No minimum: CombinedStore hands its sub-stores what
 * is left of a TTL, which may be little.)
 */
export function validateTtl(value: unknown, name = 'ttl'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidTtlError(`${name} must be a positive, finite number of milliseconds (e.g. 30000 for 30 s); got ${describeValue(value)}.`);
  }
  if (value > MAX_TTL_MS) checkTtlBounds(value, name);
  return value;
}

/** For stores: a TTL in milliseconds, or null (no expiry). */
export function validateOptionalTtl(value: unknown, name = 'ttl'): number | null {
  return value === null ? null : validateTtl(value, name);
}

/** For stores: a wait limit, zero or a positive, finite number of milliseconds. */
export function validateTimeout(value: unknown, name = 'timeout'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(
      `${name} must be zero or a positive, finite number of milliseconds (e.g. 5000 for 5 s); got ${describeValue(value)}.`,
    );
  }
  return value;
}

export function validateSignal(value: unknown, name = 'signal'): AbortSignal {
  if (!(value instanceof AbortSignal)) {
    throw new InvalidArgumentError(`${name} must be an AbortSignal; got ${describeValue(value)}.`);
  }
  return value;
}
