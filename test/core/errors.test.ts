import { describe, expect, it } from 'vitest';
import * as locksmith from '../../src/index.js';

const expected: Array<[keyof typeof locksmith, string, string[]]> = [
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
    const Class = locksmith[name] as unknown as new (m: string, o?: { cause?: unknown }) => Error & { code: string };
    const cause = new Error('root');
    const error = new Class('message', { cause });
    expect(error.code).toBe(code);
    expect(error.name).toBe(name);
    expect(error.message).toBe('message');
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(Class);
    for (const parent of parents) {
      expect(error).toBeInstanceOf(locksmith[parent as keyof typeof locksmith] as unknown as Function);
    }
  });

  it('does not confuse sibling classes', () => {
    expect(new locksmith.LockExpiredError('x')).not.toBeInstanceOf(locksmith.LockAcquiringError);
    expect(new locksmith.InvalidArgumentError('x')).not.toBeInstanceOf(locksmith.InvalidTtlError);
    expect(new Error('x')).not.toBeInstanceOf(locksmith.LockError);
  });

  it('recognises errors from another copy of the library (instanceof by brand)', () => {
    // What a second installed copy would produce: same class names, same brand symbol.
    class LockError extends Error {}
    class LockConflictedError extends LockError {}
    const foreign = new LockConflictedError('x');
    Object.defineProperty(foreign, Symbol.for('locksmith.error.kinds'), { value: ['LockConflictedError', 'LockError'] });
    expect(foreign).toBeInstanceOf(locksmith.LockConflictedError);
    expect(foreign).toBeInstanceOf(locksmith.LockError);
    expect(foreign).not.toBeInstanceOf(locksmith.LockExpiredError);
  });
});
