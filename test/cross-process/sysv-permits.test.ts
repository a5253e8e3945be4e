// SysvPermitStore across real processes: the kernel gives a killed holder's permits back
// (SEM_UNDO), all at once; and waits cancelled at every kind of moment, racing grants,
// leave no permit behind, in this process or for another one.
import { spawnSync } from 'node:child_process';
import { pbkdf2 } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { SemaphoreFactory, SysvPermitStore, type Semaphore } from '../../src/index.js';
import { loadNative } from '../../src/native.js';
import { LockHolder } from '../helpers/child.js';
import { semaphoreNamespace } from '../helpers/semaphores.js';

const { namespace, trackPermits } = semaphoreNamespace();
const permitHolder = fileURLToPath(new URL('../fixtures/permit-holder.mjs', import.meta.url));
const dsn = `semaphore://${encodeURIComponent(namespace)}`;

let counter = 0;
function resource(label: string): string {
  const name = `sysv-xproc-${label}-${process.pid}-${counter++}`;
  trackPermits(name);
  return name;
}

describe('SysvPermitStore: kill -9 of a holder', () => {
  it.each([
    { label: 'one holder of weight 2', weights: [2] },
    { label: 'two holders of weight 1 in one process', weights: [1, 1] },
  ])('returns the 2 permits of $label to a waiter of weight 2 in another process at once', async ({ weights }) => {
    const name = resource('kill');
    const child = new LockHolder(permitHolder);
    for (const [n, weight] of weights.entries()) {
      expect((await child.send({ cmd: 'acquire', dsn, resource: name, limit: 2, weight, name: `h${n}` })).acquired).toBe(true);
    }
    const factory = new SemaphoreFactory(new SysvPermitStore({ namespace }));
    expect(await factory.createSemaphore(name, 2).acquire()).toBe(false);
    const waiter = factory.createSemaphore(name, 2, { weight: 2 });
    const waiting = waiter.acquire({ timeout: 20_000 });
    child.child.kill('SIGKILL');
    expect((await child.exited()).signal).toBe('SIGKILL');
    expect(await waiting).toBe(true);
    expect(await waiter.isAcquired()).toBe(true);
    await waiter.release();
  });
});

describe('SysvPermitStore: waits are not on the libuv threadpool', () => {
  it('8 semaphore waits blocked in the kernel leave fs and crypto (4 threadpool threads) working', async () => {
    const factory = new SemaphoreFactory(new SysvPermitStore({ namespace }));
    const holders: Semaphore[] = [];
    const waits: Array<Promise<boolean>> = [];
    const controller = new AbortController();
    for (let n = 0; n < 8; n++) {
      const name = resource(`pool-${n}`);
      const holder = factory.createSemaphore(name, 1);
      expect(await holder.acquire()).toBe(true);
      holders.push(holder);
      waits.push(factory.createSemaphore(name, 1).acquire({ signal: controller.signal }).catch(() => false));
    }
    await vi.waitFor(() => expect(loadNative().stats().pendingWaits).toBe(8), { timeout: 10_000 });
    // Were the waits on the threadpool, these would never run (the pool has 4 threads).
    const self = fileURLToPath(import.meta.url);
    for (let n = 0; n < 8; n++) {
      expect((await readFile(self, 'utf8')).length).toBeGreaterThan(0);
      expect((await promisify(pbkdf2)('x', 'salt', 1, 16, 'sha256')).length).toBe(16);
    }
    expect(loadNative().stats().waiterThreads).toBeGreaterThanOrEqual(8);
    controller.abort();
    expect(await Promise.all(waits)).toEqual(Array.from({ length: 8 }, () => false));
    expect(loadNative().stats().pendingWaits).toBe(0);
    for (const holder of holders) await holder.release();
  });
});

describe('SysvPermitStore: worker_threads', () => {
  it('gives back the permits of a terminated worker, holding or waiting (undo records are per process)', () => {
    const name = resource('worker');
    const script = fileURLToPath(new URL('../fixtures/worker-permits.mjs', import.meta.url));
    const result = spawnSync(process.execPath, [script, namespace, name], { encoding: 'utf8', timeout: 30_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe('ok');
  });
});

describe('SysvPermitStore: cancelled waits', () => {
  it('1,000 waits cancelled at random moments, racing grants, leak no permit', async () => {
    const LIMIT = 3;
    const ROUNDS = 100;
    const WAITERS = 10;
    const name = resource('cancel-storm');
    const factory = new SemaphoreFactory(new SysvPermitStore({ namespace }));
    const random = (n: number) => Math.floor(Math.random() * n);
    let cancelled = 0;
    let granted = 0;
    const leaks: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const holder = factory.createSemaphore(name, LIMIT, { weight: LIMIT });
      expect(await holder.acquire()).toBe(true);
      const waiters: Array<{ semaphore: Semaphore; outcome: Promise<boolean> }> = [];
      for (let n = 0; n < WAITERS; n++) {
        const semaphore = factory.createSemaphore(name, LIMIT, { weight: 1 + random(LIMIT) });
        const controller = new AbortController();
        const how = random(5);
        let outcome: Promise<boolean>;
        if (how === 4) {
          outcome = semaphore.acquire({ timeout: 1 + random(3) });
        } else {
          outcome = semaphore.acquire({ signal: controller.signal }).catch((error: unknown) => {
            if ((error as Error).name !== 'AbortError') throw error;
            return false;
          });
          if (how === 0) queueMicrotask(() => controller.abort());
          else if (how === 1) setImmediate(() => controller.abort());
          else setTimeout(() => controller.abort(), random(4));
        }
        waiters.push({ semaphore, outcome });
      }
      // The holder lets go at a random moment among the cancellations, so that the kernel
      // grants some waits just as they are being cancelled.
      await new Promise((resolve) => (random(2) === 0 ? setImmediate(resolve) : setTimeout(resolve, random(4))));
      await holder.release();
      for (const { semaphore, outcome } of waiters) {
        if (await outcome) {
          granted++;
          await semaphore.release();
        } else {
          cancelled++;
          expect(await semaphore.isAcquired()).toBe(false);
        }
      }
      // Every permit is free again, at once: a holder of all of them gets in without waiting.
      const probe = factory.createSemaphore(name, LIMIT, { weight: LIMIT });
      if (await probe.acquire()) await probe.release();
      else leaks.push(round);
    }
    expect(leaks).toEqual([]);
    expect(cancelled + granted).toBe(ROUNDS * WAITERS);
    expect(cancelled).toBeGreaterThan(0);
    // No wait still pending in the addon, and another process finds all the permits free.
    expect(loadNative().stats().pendingWaits).toBe(0);
    const other = new LockHolder(permitHolder);
    expect((await other.send({ cmd: 'acquire', dsn, resource: name, limit: LIMIT, weight: LIMIT })).acquired).toBe(true);
  }, 120_000);
});
