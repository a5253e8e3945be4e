import { describe, expect, it } from 'vitest';
import * as lockwright from '../../src/index.js';

const expected: Array<[keyof typeof lockwright, string, string[]]> = [
  ['LockConflictedError', 'LOCK_CONFLICTED', ['LockError']],
  ['LockAcquiringError', 'LOCK_ACQUIRING_FAILED', ['LockError']],
  ['LockReleasingError', 'LOCK_RELEASING_FAILED', ['LockError']],
  ['LockExpiredError', 'LOCK_EXPIRED', ['LockError']],
  ['LockStorageError', 'LOCK_STORAGE_FAILED', ['LockError']],
  ['InvalidArgumentError', 'LOCK_INVALID_ARGUMENT', ['LockError']],
  ['InvalidTtlError', 'LOCK_INVALID_TTL', ['InvalidArgumentError', 'LockError']],
  ['NotSupportedError', 'LOCK_NOT_SUPPORTED', ['LockError']],
  ['UnserializableKeyError', 'LOCK_UNSERIALIZABLE_KEY', ['LockError']],
];

describe('errors', () => {
  it.each(expected)('%s has a stable code, its name, and its parents', (name, code, parents) => {
    const Class = lockwright[name] as unknown as new (m: string, o?: { cause?: unknown }) => Error & { code: string };
    const cause = new Error('root');
    const error = new Class('message', { cause });
    expect(error.code).toBe(code);
    expect(error.name).toBe(name);
    expect(error.message).toBe('message');
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(Class);
    for (const parent of parents) {
      expect(error).toBeInstanceOf(lockwright[parent as keyof typeof lockwright] as unknown as Function);
    }
  });

  it('does not confuse sibling classes', () => {
    expect(new lockwright.LockExpiredError('x')).not.toBeInstanceOf(lockwright.LockAcquiringError);
    expect(new lockwright.InvalidArgumentError('x')).not.toBeInstanceOf(lockwright.InvalidTtlError);
    expect(new Error('x')).not.toBeInstanceOf(lockwright.LockError);
  });

  it('recognises errors from another copy of the library (instanceof by brand)', () => {
    // What a second installed copy would produce: same class names, same brand symbol.
    class LockError extends Error {}
    class LockConflictedError extends LockError {}
    const foreign = new LockConflictedError('x');
    Object.defineProperty(foreign, Symbol.for('lockwright.error.kinds'), { value: ['LockConflictedError', 'LockError'] });
    expect(foreign).toBeInstanceOf(lockwright.LockConflictedError);
    expect(foreign).toBeInstanceOf(lockwright.LockError);
    expect(foreign).not.toBeInstanceOf(lockwright.LockExpiredError);
  });
});
