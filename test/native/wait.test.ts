import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlockHandle, NativeError } from '../../src/native.js';
import { catchError, eventually, native, sleep, startFixture, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
let n = 0;
const lockPath = () => path.join(tmp.dir, `w${++n}.lock`);

beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

interface Settled {
  error: NativeError | null;
  granted: boolean;
  ms: number;
}

function waitFor(h: FlockHandle, shared: boolean, timeoutMs: number) {
  const started = performance.now();
  let resolve!: (s: Settled) => void;
  const settled = new Promise<Settled>((r) => (resolve = r));
  const w = h.wait(shared, timeoutMs, (error, granted) =>
    resolve({ error, granted, ms: performance.now() - started }),
  );
  return { w, settled };
}

describe('FlockHandle.wait', () => {
  it('is granted after an in-process holder unlocks', async () => {
    const p = lockPath();
    const holder = native.openFlock(p, 0o600);
    const waiter = native.openFlock(p, 0o600);
    expect(holder.tryLock(false)).toBe(true);
    const { settled } = waitFor(waiter, false, -1);
    expect(native.stats().pendingWaits).toBe(1);
    await sleep(30);
    holder.unlock();
    // No poll and no timer could deliver it: only the kernel's grant (a lost one hangs).
    const s = await settled;
    expect(s).toMatchObject({ error: null, granted: true });
    expect(waiter.state).toBe('exclusive');
    expect(holder.tryLock(true)).toBe(false);
    expect(native.stats().pendingWaits).toBe(0);
    holder.close();
    waiter.close();
  });

  it('is granted when a holder in another process releases', async () => {
    const p = lockPath();
    const child = startFixture('hold.mjs', ['flock', p]);
    await child.line(/^locked$/);
    const waiter = native.openFlock(p, 0o600);
    expect(waiter.tryLock(false)).toBe(false);
    const { settled } = waitFor(waiter, true, 10_000);
    await sleep(20);
    child.send('release');
    const s = await settled;
    expect(s).toMatchObject({ error: null, granted: true });
    expect(waiter.state).toBe('shared');
    expect((await child.exit()).code).toBe(0);
    waiter.close();
  });

  it('grants several shared waits together', async () => {
    const p = lockPath();
    const holder = native.openFlock(p, 0o600);
    holder.tryLock(false);
    const waiters = [0, 1, 2].map(() => native.openFlock(p, 0o600));
    const all = waiters.map((h) => waitFor(h, true, 5000).settled);
    await sleep(10);
    holder.unlock();
    for (const s of await Promise.all(all)) expect(s.granted).toBe(true);
    expect(waiters.map((h) => h.state)).toEqual(['shared', 'shared', 'shared']);
    expect(holder.tryLock(false)).toBe(false);
    for (const h of [holder, ...waiters]) h.close();
  });

  it('times out with (null, false) after about timeoutMs, holding nothing', async () => {
    const p = lockPath();
    const holder = native.openFlock(p, 0o600);
    const waiter = native.openFlock(p, 0o600);
    holder.tryLock(false);
    const s = await waitFor(waiter, false, 100).settled;
    expect(s.error).toBeNull();
    expect(s.granted).toBe(false);
    expect(s.ms).toBeGreaterThanOrEqual(99);
    expect(s.ms).toBeLessThan(5_000); // ended by its timeout, not by anything later
    expect(waiter.state).toBe('none');
    holder.unlock();
    const probe = native.openFlock(p, 0o600);
    expect(probe.tryLock(false)).toBe(true);
    const zero = waitFor(waiter, false, 0);
    expect((await zero.settled).granted).toBe(false); // probe holds it
    for (const h of [holder, waiter, probe]) h.close();
  });

  it('cancel() wins: the callback reports (null, false) once the thread let go, nothing stays locked', async () => {
    const p = lockPath();
    const holder = native.openFlock(p, 0o600);
    const waiter = native.openFlock(p, 0o600);
    holder.tryLock(false);
    const { w, settled } = waitFor(waiter, false, -1);
    await sleep(20);
    expect(w.cancel()).toBe(true);
    expect(w.cancel()).toBe(true); // stays won
    // Released in the same turn: the kernel may hand the lock to the cancelled wait's
    // thread; the callback must come only after that thread gave it back.
    holder.unlock();
    expect(catchError(() => waiter.wait(false, -1, () => {})).code).toBe('EINVAL'); // still waiting
    const s = await settled;
    expect(s).toMatchObject({ error: null, granted: false });
    expect(native.stats().pendingWaits).toBe(0);
    expect(waiter.state).toBe('none');
    const probe = native.openFlock(p, 0o600);
    expect(probe.tryLock(false)).toBe(true);
    // The handle may wait again once settled.
    const again = waitFor(waiter, false, -1);
    await sleep(5);
    probe.unlock();
    expect((await again.settled).granted).toBe(true);
    for (const h of [holder, waiter, probe]) h.close();
  });

  it('cancel() after the outcome is decided returns false and the callback still runs', async () => {
    const p = lockPath();
    const waiter = native.openFlock(p, 0o600);
    let resolve!: (g: boolean) => void;
    const done = new Promise<boolean>((r) => (resolve = r));
    const w = waiter.wait(false, -1, (_e, granted) => resolve(granted));
    // The file is free: the waiter thread is granted almost at once, and delivery is
    // queued behind this (still running) JS turn.
    await eventually(() => waiter.state === 'exclusive' || native.stats().idleWaiterThreads > 0);
    await sleep(5);
    expect(w.cancel()).toBe(false);
    expect(await done).toBe(true);
    expect(waiter.state).toBe('exclusive');
    waiter.close();
  });

  it('refuses to start while holding a lock or while another wait is pending', () => {
    const p = lockPath();
    const h = native.openFlock(p, 0o600);
    h.tryLock(true);
    expect(catchError(() => h.wait(false, -1, () => {})).code).toBe('EINVAL');
    h.unlock();
    const holder = native.openFlock(p, 0o600);
    holder.tryLock(false);
    const w = h.wait(false, -1, () => {});
    expect(catchError(() => h.wait(false, -1, () => {})).code).toBe('EINVAL');
    expect(w.cancel()).toBe(true);
    holder.close();
    h.close();
  });

  it('a grant for a handle closed meanwhile is released and reported as EBADF', async () => {
    const p = lockPath();
    const holder = native.openFlock(p, 0o600);
    const waiter = native.openFlock(p, 0o600);
    holder.tryLock(false);
    const { settled } = waitFor(waiter, false, -1);
    waiter.close();
    holder.unlock();
    const s = await settled;
    expect(s.granted).toBe(false);
    expect(s.error?.code).toBe('EBADF');
    expect(holder.tryLock(false)).toBe(true);
    holder.close();
  });

  it('takes the handle\'s own descriptor: no tryLock beside it, and no descriptor opened or left behind per wait', async () => {
    const p = lockPath();
    const holder = native.openFlock(p, 0o600);
    const waiter = native.openFlock(p, 0o600);
    const openFds = () => readdirSync('/proc/self/fd').length;
    const before = openFds();
    for (let i = 0; i < 20; i++) {
      expect(holder.tryLock(false)).toBe(true);
      const { settled } = waitFor(waiter, false, -1);
      expect(catchError(() => waiter.tryLock(false)).code).toBe('EINVAL');
      holder.unlock();
      expect((await settled).granted).toBe(true);
      expect(waiter.state).toBe('exclusive');
      expect(holder.tryLock(false)).toBe(false);
      waiter.unlock();
    }
    expect(openFds()).toBe(before);
    // A cancelled wait gives the descriptor back: the handle locks through it again.
    expect(holder.tryLock(false)).toBe(true);
    const { w, settled } = waitFor(waiter, false, -1);
    await sleep(10);
    expect(w.cancel()).toBe(true);
    expect((await settled).granted).toBe(false);
    holder.unlock();
    expect(waiter.tryLock(false)).toBe(true);
    expect(holder.tryLock(false)).toBe(false);
    expect(openFds()).toBe(before);
    for (const h of [holder, waiter]) h.close();
  });

  it('keeps the process alive while pending, and lets it exit once settled', async () => {
    const child = startFixture('pending-wait.mjs', [lockPath(), '200']);
    const line = await child.line(/^settled/);
    const [, code, granted, ms] = line.split(' ');
    expect(code).toBe('ok');
    expect(granted).toBe('false');
    expect(Number(ms)).toBeGreaterThanOrEqual(199);
    const exit = await child.exit(3000);
    expect(exit.code).toBe(0);
  });
});
