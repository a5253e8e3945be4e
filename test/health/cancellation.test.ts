// 2,000 waits cancelled or timed out at random moments while holders release and
// re-acquire: no lock may stay held, and descriptors, waits and threads return to
// their baseline.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FlockStore, LockFactory, SemaphoreStore, type PersistingStore } from '../../src/index.js';
import { loadNative } from '../../src/native.js';
import { semaphoreNamespace } from '../helpers/semaphores.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const { namespace, track } = semaphoreNamespace();
const native = loadNative();
const openFds = () => readdirSync('/proc/self/fd').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const randomMs = (max: number) => Math.random() * max;

const targets: Array<[string, () => PersistingStore]> = [
  ['FlockStore', () => new FlockStore(dir)],
  ['SemaphoreStore', () => new SemaphoreStore({ namespace })],
];

describe.each(targets)('%s under random cancellation', (name, make) => {
  it('leaves no lock held after 2,000 cancelled or timed-out waits', async () => {
    const factory = new LockFactory(make());
    const lanes = 4;
    const waitsPerLane = 500;
    const baselineFds = openFds();
    const outcomes = { acquired: 0, timedOut: 0, aborted: 0 };
    const violations: string[] = [];

    const lane = async (laneIndex: number) => {
      const resource = `cancel-${name}-${laneIndex}-${process.pid}`;
      track(resource);
      const holder = factory.createLock(resource);
      const probe = factory.createLock(resource);
      let running = true;
      // The holder keeps the lock most of the time and lets go at random moments, so
      // that kernel grants race with cancellations and timeouts.
      const toggling = (async () => {
        while (running) {
          if (!(await holder.acquire({ timeout: 50 }))) continue;
          await sleep(randomMs(3));
          await holder.release();
        }
      })();
      for (let i = 0; i < waitsPerLane; i++) {
        const lock = factory.createLock(resource);
        const useSignal = i % 2 === 0;
        const controller = new AbortController();
        const reason = new Error('cancelled');
        if (useSignal) {
          const delay = randomMs(3);
          if (i % 4 === 0) queueMicrotask(() => controller.abort(reason));
          else setTimeout(() => controller.abort(reason), delay);
        }
        try {
          const acquired = await lock.acquire(useSignal ? { signal: controller.signal } : { timeout: randomMs(3) });
          if (acquired) {
            outcomes.acquired++;
            // While we hold it, nobody else may.
            if (await probe.acquire()) violations.push(`${resource}: probe got the lock while a waiter held it`);
            await lock.release();
          } else {
            outcomes.timedOut++;
          }
        } catch (error) {
          if (error !== reason) throw error;
          outcomes.aborted++;
        }
        if (await lock.isAcquired()) violations.push(`${resource}: a settled wait still holds the lock`);
      }
      running = false;
      await toggling;
      await holder.release();
      await sleep(20); // let late grants of cancelled waits be given back by the waiters
      if (!(await probe.acquire())) violations.push(`${resource}: the lock stayed held after everything settled`);
      await probe.release();
    };

    await Promise.all(Array.from({ length: lanes }, (_, i) => lane(i)));

    expect(violations).toEqual([]);
    expect(outcomes.acquired + outcomes.timedOut + outcomes.aborted).toBe(lanes * waitsPerLane);
    // Each kind of outcome must really have happened, or the test proved nothing.
    expect(outcomes.aborted).toBeGreaterThan(50);
    expect(outcomes.timedOut).toBeGreaterThan(50);
    expect(outcomes.acquired).toBeGreaterThan(10);
    await sleep(50);
    expect(native.stats().pendingWaits).toBe(0);
    // Released handles are kept for reuse for about a second, then closed.
    await sleep(2_100);
    expect(openFds()).toBeLessThanOrEqual(baselineFds);
    // No waiter thread is left busy (blocked on a wait nobody wants); idle ones are
    // kept for reuse and reaped after 30 s (test/native/lifecycle.test.ts checks that).
    const { waiterThreads, idleWaiterThreads } = native.stats();
    expect(idleWaiterThreads).toBe(waiterThreads);
    expect(waiterThreads).toBeLessThanOrEqual(32);
  }, 60_000);
});
