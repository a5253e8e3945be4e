import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeError } from '../../src/native.js';
import { native, randomSemaphore, removeSemaphore, sleep, startFixture, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
const keys: number[] = [];
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => {
  tmp.cleanup();
  for (const key of keys) removeSemaphore(key);
});

type Settled = { error: NativeError | null; granted: boolean; at: number };

describe('kill -9 of a holder', () => {
  it('hands an flock lock to a waiting parent promptly', async () => {
    const p = path.join(tmp.dir, 'killed.lock');
    const child = startFixture('hold.mjs', ['flock', p]);
    await child.line(/^locked$/);
    const waiter = native.openFlock(p, 0o600);
    expect(waiter.tryLock(false)).toBe(false);
    const settled = new Promise<Settled>((resolve) =>
      waiter.wait(false, 30_000, (error, granted) => resolve({ error, granted, at: performance.now() })),
    );
    await sleep(30);
    const killed = performance.now();
    child.proc.kill('SIGKILL');
    const s = await settled;
    expect(s.error).toBeNull();
    // Granted, not timed out: only the kernel, undoing the dead holder's lock, can do that.
    expect(s.granted).toBe(true);
    expect(s.at).toBeGreaterThan(killed);
    expect((await child.exit()).signal).toBe('SIGKILL');
    waiter.close();
  });

  it.runIf(process.platform === 'linux')('hands a semaphore to a waiting parent promptly (SEM_UNDO)', async () => {
    const { key, fingerprint } = randomSemaphore();
    keys.push(key);
    const child = startFixture('hold.mjs', ['sem', String(key), String(fingerprint)]);
    await child.line(/^locked$/);
    const waiter = native.openSemaphore(key, fingerprint, 0o600);
    expect(waiter.tryLock()).toBe(false);
    const settled = new Promise<Settled>((resolve) =>
      waiter.wait(30_000, (error, granted) => resolve({ error, granted, at: performance.now() })),
    );
    await sleep(30);
    const killed = performance.now();
    child.proc.kill('SIGKILL');
    const s = await settled;
    expect(s.error).toBeNull();
    // Granted, not timed out: only the kernel, undoing the dead holder's lock, can do that.
    expect(s.granted).toBe(true);
    expect(s.at).toBeGreaterThan(killed);
    expect(waiter.locked).toBe(true);
    expect((await child.exit()).signal).toBe('SIGKILL');
    waiter.close();
  });
});
