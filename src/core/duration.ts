// Validation of every duration the API accepts. Durations are milliseconds.
import { InvalidArgumentError, InvalidTtlError, describeValue } from './errors.js';

/** A TTL: a positive, finite number of milliseconds. */
export function validateTtl(value: unknown, name = 'ttl'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidTtlError(
      `${name} must be a positive, finite number of milliseconds; got ${describeValue(value)}.`,
    );
  }
  return value;
}

/** A TTL option that may also be null (no expiry). */
export function validateOptionalTtl(value: unknown, name = 'ttl'): number | null {
  return value === null ? null : validateTtl(value, name);
}

/** A wait limit: zero or a positive, finite number of milliseconds. */
export function validateTimeout(value: unknown, name = 'timeout'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(
      `${name} must be zero or a positive, finite number of milliseconds; got ${describeValue(value)}.`,
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
