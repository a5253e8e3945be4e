// Calls a handle's state does not allow, and System V identities the addon refuses: each
// is refused with an error that says what is wrong, and refusing leaves the handle as it
// was (its lock, its wait).
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { catchError, native, randomSemaphore, removeSemaphore, tempDir } from './helpers.js';

const tmp = tempDir();
const keys: number[] = [];
afterAll(() => {
  tmp.cleanup();
  for (const key of keys) removeSemaphore(key);
});

function semaphore(): { key: number; fingerprint: number } {
  const set = randomSemaphore();
  keys.push(set.key);
  return set;
}

describe('FlockHandle misuse', () => {
  it('refuses wait() while it holds a lock, naming the mode and the file', () => {
    const file = path.join(tmp.dir, 'held.lock');
    const handle = native.openFlock(file, 0o600);
    expect(handle.tryLock(false)).toBe(true);
    const error = catchError(() => handle.wait(false, -1, () => {}));
    expect(error.code).toBe('EINVAL');
    expect(error.message).toContain('wait() needs a handle that holds nothing (it holds a exclusive lock)');
    expect(error.message).toContain(`flock '${file}'`);
    expect(handle.state).toBe('exclusive'); // still held
    handle.close();
  });

  it('refuses tryLock() and a second wait() during a wait, and the wait goes on', async () => {
    const file = path.join(tmp.dir, 'waiting.lock');
    const holder = native.openFlock(file, 0o600);
    const waiter = native.openFlock(file, 0o600);
    expect(holder.tryLock(false)).toBe(true);
    const granted = new Promise<boolean>((resolve) => waiter.wait(false, -1, (error, ok) => resolve(error === null && ok)));
    const tryError = catchError(() => waiter.tryLock(false));
    expect(tryError.code).toBe('EINVAL');
    expect(tryError.message).toContain(`a wait is in progress on this handle, flock '${file}'`);
    const waitError = catchError(() => waiter.wait(true, -1, () => {}));
    expect(waitError.code).toBe('EINVAL');
    expect(waitError.message).toContain('a wait is already in progress on this handle');
    holder.unlock();
    expect(await granted).toBe(true);
    expect(waiter.state).toBe('exclusive');
    holder.close();
    waiter.close();
  });
});

describe('System V handles misuse', () => {
  it('refuses a fingerprint with a zero 15-bit half, and a key out of range', () => {
    const { key } = semaphore();
    for (const fingerprint of [0x7fff, 0x7fff * 0x8000, 0]) {
      const error = catchError(() => native.openSemaphore(key, fingerprint, 0o600));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toBe('fingerprint must be a 30-bit integer whose two 15-bit halves are non-zero');
      expect(catchError(() => native.openPermits(key, fingerprint, 2, 0o600)).message).toBe(error.message);
    }
    expect(catchError(() => native.openSemaphore(0, 0x8001, 0o600)).message).toBe('key must be an integer between 1 and 0x7fffffff');
  });

  it.runIf(process.platform === 'linux')('refuses wait() on a locked semaphore handle, and keeps the lock', () => {
    const { key, fingerprint } = semaphore();
    const handle = native.openSemaphore(key, fingerprint, 0o600);
    expect(handle.tryLock()).toBe(true);
    const error = catchError(() => handle.wait(-1, () => {}));
    expect(error.code).toBe('EINVAL');
    expect(error.message).toContain('wait() needs a handle that holds nothing (it is locked)');
    expect(handle.locked).toBe(true);
    handle.close();
  });

  it.runIf(process.platform === 'linux')('refuses tryTake() and wait() on a permit handle that holds, and keeps its permits', () => {
    const { key, fingerprint } = semaphore();
    const handle = native.openPermits(key, fingerprint, 3, 0o600);
    expect(handle.tryTake(2)).toBe(true);
    const tryError = catchError(() => handle.tryTake(1));
    expect(tryError.code).toBe('EINVAL');
    expect(tryError.message).toContain('tryTake() needs a handle that holds nothing (one hold per handle)');
    const waitError = catchError(() => handle.wait(1, -1, () => {}));
    expect(waitError.code).toBe('EINVAL');
    expect(waitError.message).toContain('wait() needs a handle that holds nothing (one hold per handle)');
    expect(handle.held).toBe(2);
    handle.close();
  });
});
