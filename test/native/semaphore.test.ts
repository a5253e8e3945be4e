import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { NativeError, SemaphoreHandle } from '../../src/native.js';
import {
  catchError,
  hexKey,
  native,
  randomSemaphore,
  removeSemaphore,
  semaphoreExists,
  sleep,
  startFixture,
} from './helpers.js';

const linux = process.platform === 'linux';
const created: number[] = [];
function fresh() {
  const s = randomSemaphore();
  created.push(s.key);
  return s;
}
afterAll(() => {
  for (const key of created) removeSemaphore(key);
});

function waitFor(h: SemaphoreHandle, timeoutMs: number) {
  const started = performance.now();
  let resolve!: (s: { error: NativeError | null; granted: boolean; ms: number }) => void;
  const settled = new Promise<{ error: NativeError | null; granted: boolean; ms: number }>(
    (r) => (resolve = r),
  );
  const w = h.wait(timeoutMs, (error, granted) =>
    resolve({ error, granted, ms: performance.now() - started }),
  );
  return { w, settled };
}

describe.runIf(linux)('openSemaphore', () => {
  it('validates its arguments', () => {
    const { key, fingerprint } = randomSemaphore();
    for (const bad of [0, -1, 2 ** 31, 1.5, '1']) {
      expect(() => native.openSemaphore(bad as number, fingerprint, 0o600)).toThrow(TypeError);
    }
    for (const bad of [0, 1, 0x8000, 2 ** 30, -5]) {
      expect(() => native.openSemaphore(key, bad, 0o600)).toThrow(/fingerprint/);
    }
    expect(() => native.openSemaphore(key, fingerprint, 0o1000)).toThrow(/mode must be/);
    expect(semaphoreExists(key)).toBe(false);
  });

  it('excludes between two handles; tryLock is idempotent on the holder', () => {
    const { key, fingerprint } = fresh();
    const a = native.openSemaphore(key, fingerprint, 0o600);
    const b = native.openSemaphore(key, fingerprint, 0o600);
    expect(a.key).toBe(key);
    expect(semaphoreExists(key)).toBe(true);
    expect(a.tryLock()).toBe(true);
    expect(a.locked).toBe(true);
    expect(a.tryLock()).toBe(true); // no second increment:
    expect(b.tryLock()).toBe(false);
    a.unlock();
    expect(a.locked).toBe(false);
    expect(b.tryLock()).toBe(true); // ...one unlock was enough
    a.unlock(); // not held: no-op
    b.close();
    b.close();
    expect(catchError(() => b.tryLock()).code).toBe('EBADF');
    expect(a.tryLock()).toBe(true); // close released
    a.close();
  });

  it('checks ownership and mode of an existing set', () => {
    const { key, fingerprint } = fresh();
    const a = native.openSemaphore(key, fingerprint, 0o600);
    const err = catchError(() => native.openSemaphore(key, fingerprint, 0o640));
    expect(err.code).toBe('EACCES');
    expect(err.errno).toBeLessThan(0);
    expect(err.message).toMatch(/mode 0600/);
    expect(err.message).toMatch(new RegExp(`uid ${process.geteuid!()}`));
    a.close();
  });

  it('detects a key collision through the fingerprint', () => {
    const { key, fingerprint } = fresh();
    const a = native.openSemaphore(key, fingerprint, 0o600);
    const other = fingerprint ^ 0x4001; // both halves stay non-zero
    const err = catchError(() => native.openSemaphore(key, other, 0o600));
    expect(err.code).toBe('EEXIST');
    expect(err.message).toContain(`System V semaphore key ${hexKey(key)} is used by another set (fingerprint mismatch)`);
    a.close();
  });

  it('excludes across processes and hands over through wait()', async () => {
    const { key, fingerprint } = fresh();
    const child = startFixture('hold.mjs', ['sem', String(key), String(fingerprint)]);
    await child.line(/^locked$/);
    const h = native.openSemaphore(key, fingerprint, 0o600);
    expect(h.tryLock()).toBe(false);
    const { settled } = waitFor(h, 10_000);
    await sleep(20);
    child.send('release');
    const s = await settled;
    expect(s).toMatchObject({ error: null, granted: true });
    expect(h.locked).toBe(true);
    expect((await child.exit()).code).toBe(0);
    h.close();
  });

  it('times out with (null, false) and holds nothing; cancel() wins cleanly', async () => {
    const { key, fingerprint } = fresh();
    const holder = native.openSemaphore(key, fingerprint, 0o600);
    const waiter = native.openSemaphore(key, fingerprint, 0o600);
    holder.tryLock();
    const s = await waitFor(waiter, 100).settled;
    expect(s).toMatchObject({ error: null, granted: false });
    expect(s.ms).toBeGreaterThanOrEqual(99);
    expect(s.ms).toBeLessThan(5_000); // ended by its timeout, not by anything later
    expect(waiter.locked).toBe(false);

    const cancelled = waitFor(waiter, -1);
    expect(catchError(() => waiter.wait(-1, () => {})).code).toBe('EINVAL');
    await sleep(20);
    expect(cancelled.w.cancel()).toBe(true);
    // Released in the same turn: SysV may complete the cancelled wait's semop for it
    // (the releaser's semop grants sleeping waiters); the callback comes only after the
    // waiter thread gave that grant back.
    holder.unlock();
    expect(await cancelled.settled).toMatchObject({ error: null, granted: false });
    expect(holder.tryLock()).toBe(true); // the cancelled wait holds nothing, at once
    expect(catchError(() => holder.wait(-1, () => {})).code).toBe('EINVAL'); // locked
    holder.close();
    waiter.close();
  });

  it('reports EIDRM (never a grant) when the set is removed under a waiter', async () => {
    const { key, fingerprint } = fresh();
    const holder = native.openSemaphore(key, fingerprint, 0o600);
    const waiter = native.openSemaphore(key, fingerprint, 0o600);
    holder.tryLock();
    const { settled } = waitFor(waiter, -1);
    await sleep(20);
    execFileSync('ipcrm', ['-S', hexKey(key)]);
    const s = await settled;
    expect(s.granted).toBe(false);
    expect(['EIDRM', 'EINVAL']).toContain(s.error?.code);
    expect(s.error?.message).toContain('was removed (what it held is lost)');
    // The holder's lock is gone with the set: unlock says so instead of pretending.
    const err = catchError(() => holder.unlock());
    expect(['EIDRM', 'EINVAL']).toContain(err.code);
    expect(holder.locked).toBe(false);
    expect(['EIDRM', 'EINVAL']).toContain(catchError(() => waiter.tryLock()).code);
    holder.close();
    waiter.close();
  });
});

describe.skipIf(linux)('openSemaphore elsewhere', () => {
  it('reports ENOTSUP', () => {
    const { key, fingerprint } = randomSemaphore();
    expect(catchError(() => native.openSemaphore(key, fingerprint, 0o600)).code).toBe('ENOTSUP');
  });
});
