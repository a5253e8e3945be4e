import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlockHandle, NativeWait } from '../../src/native.js';
import { native, sleep, startFixture, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

async function readFileMs(file: string, rounds = 40): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await fs.promises.readFile(file);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

describe('waiter threads are not the libuv threadpool', () => {
  it('64 blocked waits leave fs and the event loop responsive', async () => {
    const small = path.join(tmp.dir, 'small.txt');
    fs.writeFileSync(small, 'x'.repeat(1024));
    const idle = await readFileMs(small);

    const handles: FlockHandle[] = [];
    const waits: NativeWait[] = [];
    let cancelledCallbacks = 0;
    for (let i = 0; i < 64; i++) {
      const p = path.join(tmp.dir, `tp${i}.lock`);
      const holder = native.openFlock(p, 0o600);
      expect(holder.tryLock(false)).toBe(true);
      const waiter = native.openFlock(p, 0o600);
      waits.push(waiter.wait(false, -1, (error, granted) => {
        if (error || granted) throw new Error('no grant expected');
        cancelledCallbacks++;
      }));
      handles.push(holder, waiter);
    }
    await sleep(50);
    expect(native.stats().pendingWaits).toBe(64);
    expect(native.stats().waiterThreads).toBeGreaterThanOrEqual(64);

    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    // Were the waits on the libuv threadpool (4 threads), readFile could never finish.
    const busy = await Promise.race([
      readFileMs(small),
      sleep(10_000).then(() => Infinity),
    ]);
    await sleep(100);
    delay.disable();
    console.log(`readFile median idle ${idle.toFixed(3)} ms, with 64 blocked waits ${busy.toFixed(3)} ms; loop delay max ${(delay.max / 1e6).toFixed(1)} ms`);
    // Finished, not how fast: the ratio is the bench's business (a busy machine moves it).
    expect(busy).toBeLessThan(Infinity);
    // A loop blocked by a wait would stall until its grant, i.e. for good.
    expect(delay.max / 1e6).toBeLessThan(1_000);

    const t0 = performance.now();
    for (const w of waits) expect(w.cancel()).toBe(true);
    for (const h of handles) h.close();
    // Each cancelled wait calls back (null, false) once its thread let go of the kernel.
    while (cancelledCallbacks < 64 && performance.now() - t0 < 10_000) await sleep(1);
    expect(cancelledCallbacks).toBe(64);
    expect(native.stats().pendingWaits).toBe(0);
    // Every thread is interrupted and parks again within a few milliseconds.
    while (native.stats().idleWaiterThreads < 64 && performance.now() - t0 < 10_000) await sleep(1);
    const interrupted = performance.now() - t0;
    console.log(`64 cancelled waits: threads parked after ${interrupted.toFixed(1)} ms`);
    expect(native.stats().idleWaiterThreads).toBeGreaterThanOrEqual(64);
  });

  it('process.exit() with 8 blocked waits exits promptly', async () => {
    const child = startFixture('exit-while-waiting.mjs', [tmp.dir]);
    const line = await child.line(/^ready/);
    expect(line).toBe('ready 8 8');
    const t0 = performance.now();
    // Threads blocked in the kernel must not hold the exit: a held exit times out here.
    const exit = await child.exit(10_000);
    const ms = performance.now() - t0;
    console.log(`exit with 8 blocked waits took ${ms.toFixed(1)} ms`);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(child.output()).not.toContain('unexpected');
  });

  it('reaps idle waiter threads', async () => {
    const child = startFixture('reap.mjs', [tmp.dir], { LOCKWRIGHT_WAITER_IDLE_MS: '100' });
    expect(await child.line(/^busy/)).toBe('busy 6');
    await child.line(/^reaped$/, 5000);
    expect((await child.exit()).code).toBe(0);
    expect(child.output()).not.toContain('unexpected');
  });
});
