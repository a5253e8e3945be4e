// Cross-process hand-off: a holder process releases, a waiter blocked in another
// process resumes in JavaScript. Latency = waiter's resume stamp − holder's stamp just
// before release() (both CLOCK_MONOTONIC).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FlockStore, LockFactory, SemaphoreStore } from '../../dist/index.js';
import type { Section } from '../harness/report.js';
import { formatUs, summarize } from '../harness/stats.js';
import type { Workspace } from '../harness/workspace.js';

const waiterScript = fileURLToPath(new URL('../children/handoff-waiter.ts', import.meta.url));

function nextMessage(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => child.once('message', (m) => resolve(String(m))));
}

async function measure(storeName: 'flock' | 'semaphore', rounds: number, workspace: Workspace): Promise<number[]> {
  const resource = workspace.resource(`handoff-${storeName}`);
  const store = storeName === 'flock' ? new FlockStore(workspace.dir) : new SemaphoreStore({ namespace: workspace.namespace });
  const lock = new LockFactory(store).createLock(resource);
  const child = fork(waiterScript, [storeName, workspace.dir, workspace.namespace, resource], {
    execArgv: ['--import', 'tsx'],
  });
  await nextMessage(child);
  const latencies: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      await lock.acquire(true);
      const waiting = nextMessage(child);
      child.send('go');
      await waiting;
      // Give the waiter time to block in the kernel before releasing.
      await new Promise((r) => setTimeout(r, 1));
      const resumed = nextMessage(child);
      const releasedAt = process.hrtime.bigint();
      await lock.release();
      latencies.push(Number(BigInt(await resumed) - releasedAt) / 1e3);
    }
  } finally {
    child.send('exit');
  }
  return latencies;
}

export async function handoff({ quick, workspace }: { quick: boolean; workspace: Workspace }): Promise<Section> {
  const rounds = quick ? 300 : 2_000;
  const rows: string[][] = [];
  for (const storeName of ['flock', 'semaphore'] as const) {
    const s = summarize(await measure(storeName, rounds, workspace));
    rows.push([`locksmith ${storeName === 'flock' ? 'FlockStore' : 'SemaphoreStore'}`, String(s.count), formatUs(s.p50), formatUs(s.p90), formatUs(s.p99)]);
  }
  return {
    title: 'Cross-process hand-off latency',
    method: `A holder process releases; a waiter blocked in \`acquire(true)\` in another process resumes in JavaScript. ${rounds} hand-offs per row; microseconds from just before \`release()\` to the waiter's resume (CLOCK_MONOTONIC in both).`,
    columns: ['library', 'hand-offs', 'p50 µs', 'p90 µs', 'p99 µs'],
    rows,
  };
}
