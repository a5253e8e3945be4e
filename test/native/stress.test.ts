import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeError, NativeWait } from '../../src/native.js';
import {
  eventually,
  native,
  openFdCount,
  randomSemaphore,
  removeSemaphore,
  tempDir,
} from './helpers.js';

// Races cancel / timeout / grant at random moments. After every settle a probe handle
// checks the invariant: granted => we hold it; cancelled or timed out => once our own
// holder lets go, the lock is free at once (the callback runs only after the waiter
// thread let go of the kernel, so no late grant can still be in flight).

interface Subject {
  holderLock(): boolean;
  holderUnlock(): void;
  startWait(timeoutMs: number, cb: (e: NativeError | null, g: boolean) => void): NativeWait;
  waiterHolds(): boolean;
  waiterUnlock(): void;
  probeTry(): boolean;
  probeUnlock(): void;
  close(): void;
}

function flockSubject(file: string): Subject {
  const [holder, waiter, probe] = [0, 1, 2].map(() => native.openFlock(file, 0o600));
  return {
    holderLock: () => holder!.tryLock(false),
    holderUnlock: () => holder!.unlock(),
    startWait: (t, cb) => waiter!.wait(false, t, cb),
    waiterHolds: () => waiter!.state === 'exclusive',
    waiterUnlock: () => waiter!.unlock(),
    probeTry: () => probe!.tryLock(false),
    probeUnlock: () => probe!.unlock(),
    close: () => [holder, waiter, probe].forEach((h) => h!.close()),
  };
}

function semSubject(key: number, fingerprint: number): Subject {
  const [holder, waiter, probe] = [0, 1, 2].map(() => native.openSemaphore(key, fingerprint, 0o600));
  return {
    holderLock: () => holder!.tryLock(),
    holderUnlock: () => holder!.unlock(),
    startWait: (t, cb) => waiter!.wait(t, cb),
    waiterHolds: () => waiter!.locked,
    waiterUnlock: () => waiter!.unlock(),
    probeTry: () => probe!.tryLock(),
    probeUnlock: () => probe!.unlock(),
    close: () => [holder, waiter, probe].forEach((h) => h!.close()),
  };
}

const rnd = Math.random;
function spin(us: number) {
  const end = performance.now() + us / 1000;
  while (performance.now() < end) {
    /* busy: the waiter thread runs meanwhile */
  }
}

/** Runs fn via a random mechanism; resolves once it ran. */
function schedule(fn: () => void): Promise<void> {
  return new Promise((resolve) => {
    const run = () => {
      fn();
      resolve();
    };
    switch (Math.floor(rnd() * 6)) {
      case 0:
        run();
        break;
      case 1:
        spin(rnd() * 200);
        run();
        break;
      case 2:
        queueMicrotask(() => {
          spin(rnd() * 200);
          run();
        });
        break;
      case 3:
        setImmediate(run);
        break;
      case 4:
        setTimeout(run, 0);
        break;
      default:
        setTimeout(run, rnd() * 3);
        break;
    }
  });
}

interface Counts {
  granted: number;
  timedOut: number;
  cancelled: number;
  cancelLost: number;
  probeRetries: number;
  lateGrants: number;
}

async function lane(subject: Subject, iterations: number, counts: Counts): Promise<void> {
  for (let i = 0; i < iterations; i++) {
    // The previous round's wait settled only after its thread let go (issue 9): a late
    // grant can no longer be in flight, so the lock is free at once.
    if (!subject.holderLock()) counts.lateGrants++;
    const timeoutMs = rnd() < 0.4 ? rnd() * 3 : -1;
    let outcome: 'granted' | 'timedOut' | 'cancelled' | undefined;
    let cancelWon = false;
    let settle!: () => void;
    const settled = new Promise<void>((r) => (settle = r));
    const w = subject.startWait(timeoutMs, (error, granted) => {
      if (error) throw error;
      expect(outcome).toBeUndefined();
      if (cancelWon) expect(granted).toBe(false);
      outcome = granted ? 'granted' : cancelWon ? 'cancelled' : 'timedOut';
      settle();
    });
    const cancel = () => {
      if (outcome || cancelWon) return;
      // Won or lost, the callback brings the end of the wait, after the thread let go.
      if (w.cancel()) cancelWon = true;
      else counts.cancelLost++;
    };
    const actions: Promise<void>[] = [];
    const order = rnd() < 0.5;
    if (order) actions.push(schedule(() => subject.holderUnlock()));
    if (rnd() < 0.7 || timeoutMs < 0) actions.push(schedule(cancel));
    if (!order && rnd() < 0.8) actions.push(schedule(() => subject.holderUnlock()));
    // The holder sometimes grabs it back (flock lets the releaser barge in).
    if (rnd() < 0.3) actions.push(schedule(() => void subject.holderLock()));
    const safety = setTimeout(cancel, 2000);
    await Promise.all([settled, ...actions]);
    clearTimeout(safety);

    if (outcome === 'granted') {
      counts.granted++;
      expect(subject.waiterHolds()).toBe(true);
      expect(subject.probeTry()).toBe(false);
      subject.waiterUnlock();
    } else {
      if (outcome === 'timedOut') counts.timedOut++;
      else counts.cancelled++;
      expect(subject.waiterHolds()).toBe(false);
      subject.holderUnlock();
      // Settled by the waiter thread after it let go: free at once, no retry.
      if (!subject.probeTry()) counts.probeRetries++;
      subject.probeUnlock();
    }
    subject.holderUnlock();
  }
}

let tmp: ReturnType<typeof tempDir>;
const semKeys: number[] = [];
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => {
  tmp.cleanup();
  for (const key of semKeys) removeSemaphore(key);
});

describe('cancellation races', () => {
  it('2,000 flock waits cancelled or timed out at random moments never leak a lock', async () => {
    const fdBaseline = openFdCount();
    const counts: Counts = { granted: 0, timedOut: 0, cancelled: 0, cancelLost: 0, probeRetries: 0, lateGrants: 0 };
    const subjects = [0, 1, 2, 3].map((i) => flockSubject(path.join(tmp.dir, `race${i}.lock`)));
    await Promise.all(subjects.map((s) => lane(s, 500, counts)));
    console.log('flock race outcomes', counts, native.stats());
    expect(counts.granted + counts.timedOut + counts.cancelled).toBe(2000);
    expect(counts.granted).toBeGreaterThan(0);
    expect(counts.cancelled).toBeGreaterThan(0);
    expect(counts.timedOut).toBeGreaterThan(0);
    expect({ probeRetries: counts.probeRetries, lateGrants: counts.lateGrants }).toEqual({ probeRetries: 0, lateGrants: 0 });
    for (const s of subjects) s.close();
    expect(native.stats().pendingWaits).toBe(0);
    expect(native.stats().openHandles).toBe(0);
    // Late grants are released and their private descriptors closed by the threads.
    expect(await eventually(() => openFdCount() <= fdBaseline, 2000)).toBe(true);
    expect(
      await eventually(() => native.stats().idleWaiterThreads === native.stats().waiterThreads, 2000),
    ).toBe(true);
    expect(native.stats().waiterThreads).toBeLessThanOrEqual(16);
  });

  it.runIf(process.platform === 'linux')(
    '1,000 semaphore waits cancelled or timed out at random moments never leak a hold',
    async () => {
      const counts: Counts = { granted: 0, timedOut: 0, cancelled: 0, cancelLost: 0, probeRetries: 0, lateGrants: 0 };
      const subjects = [0, 1].map(() => {
        const { key, fingerprint } = randomSemaphore();
        semKeys.push(key);
        return semSubject(key, fingerprint);
      });
      await Promise.all(subjects.map((s) => lane(s, 500, counts)));
      console.log('semaphore race outcomes', counts, native.stats());
      expect(counts.granted + counts.timedOut + counts.cancelled).toBe(1000);
      expect(counts.granted).toBeGreaterThan(0);
      expect(counts.cancelled).toBeGreaterThan(0);
      expect({ probeRetries: counts.probeRetries, lateGrants: counts.lateGrants }).toEqual({ probeRetries: 0, lateGrants: 0 });
      for (const s of subjects) s.close();
      expect(native.stats().pendingWaits).toBe(0);
    },
  );
});
