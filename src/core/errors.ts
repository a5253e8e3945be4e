// One error module. Every error lockwright throws on purpose is a LockError with a
// stable `code`: match on `code` (or instanceof) rather than on messages.

const kinds = Symbol.for('lockwright.error.kinds');

/** Names of the LockError classes an error belongs to, most derived first. */
function kindsOf(target: Function): string[] {
  const names: string[] = [];
  for (let c: Function | null = target; c && c !== Error; c = Object.getPrototypeOf(c) as Function | null) {
    names.push(c.name);
  }
  return names;
}

export class LockError extends Error {
  readonly code: string = 'LOCK_ERROR';
  declare readonly [kinds]: readonly string[];

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    Object.defineProperty(this, kinds, { value: kindsOf(new.target) });
    this.name = new.target.name;
  }

  // instanceof also works across two installed copies of lockwright (a CLI and a
  // library, say): the brand is a registered symbol, not a class identity.
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const list = (value as { [kinds]?: readonly string[] })[kinds];
    return Array.isArray(list) && list.includes(this.name);
  }
}

/** Someone else holds the lock. Caught by `Lock` in non-blocking mode (acquire → false). */
export class LockConflictedError extends LockError {
  override readonly code: string = 'LOCK_CONFLICTED';
}

/** Acquiring failed for another reason than a conflict; `cause` says why. */
export class LockAcquiringError extends LockError {
  override readonly code: string = 'LOCK_ACQUIRING_FAILED';
}

/** Releasing failed, or the store still shows the lock held afterwards. */
export class LockReleasingError extends LockError {
  override readonly code: string = 'LOCK_RELEASING_FAILED';
}

/** The lock's lifetime ran out (before it could be stored, or while it was held). */
export class LockExpiredError extends LockError {
  override readonly code: string = 'LOCK_EXPIRED';
}

/** The store's backend failed (file system, kernel, server); `cause` has the original error. */
export class LockStorageError extends LockError {
  override readonly code: string = 'LOCK_STORAGE_FAILED';
}

/** An argument or option is wrong; the message names it and the value received. */
export class InvalidArgumentError extends LockError {
  override readonly code: string = 'LOCK_INVALID_ARGUMENT';
}

/** A TTL is not a positive, finite number of milliseconds. */
export class InvalidTtlError extends InvalidArgumentError {
  override readonly code: string = 'LOCK_INVALID_TTL';
}

/** The store or platform cannot do what was asked (e.g. SysV semaphores off Linux). */
export class NotSupportedError extends LockError {
  override readonly code: string = 'LOCK_NOT_SUPPORTED';
}

/** The key belongs to a store whose locks live in this process and cannot travel. */
export class UnserializableKeyError extends LockError {
  override readonly code: string = 'LOCK_UNSERIALIZABLE_KEY';
}

/**
 * A semaphore could not be acquired for another reason than a lack of permits. Also a
 * LockAcquiringError: code that handles lock failures handles semaphores too.
 */
export class SemaphoreAcquiringError extends LockAcquiringError {
  override readonly code: string = 'SEMAPHORE_ACQUIRING_FAILED';
}

/** Releasing a semaphore's permits failed (also a LockReleasingError). */
export class SemaphoreReleasingError extends LockReleasingError {
  override readonly code: string = 'SEMAPHORE_RELEASING_FAILED';
}

/** A semaphore's permits expired (also a LockExpiredError). */
export class SemaphoreExpiredError extends LockExpiredError {
  override readonly code: string = 'SEMAPHORE_EXPIRED';
}

/** A short, safe rendering of a received value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return value.length > 60 ? `"${value.slice(0, 57)}..."` : JSON.stringify(value);
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return `${typeof value} ${String(value)}`;
}
