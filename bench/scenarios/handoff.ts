// Scenario 3: cross-process hand-off. The holder (this process) releases; a waiter
// blocked in another process resumes in JavaScript. Latency = the waiter's resume stamp
// minus the holder's stamp just before release (CLOCK_MONOTONIC in both).
import type { BenchContext } from '../harness/context.js';
import { startChildren, type Child } from '../harness/children.js';
import type { Section, Target } from '../harness/report.js';
import { formatNumber, formatRatio, formatUs, sleep, summarize, type LatencySummary } from '../harness/stats.js';
import type { LockEnv, Workspace } from '../harness/workspace.js';
import { localLibraries, type Library } from '../libraries/index.js';

export interface HandoffBudget {
  /** Hand-offs wanted. */
  count: number;
  /** …unless this many seconds run out first (polling libraries). */
  seconds: number;
}

/** The child that waits in hand-offs, for every library of a scenario. */
export function startHandoffWaiter(workspace: Workspace, env: LockEnv): Promise<Child> {
  return startChildren(workspace, 'handoff-waiter', [env], 1).then(([child]) => child!);
}

/** Measures hand-offs of `library` between this process and the waiter child. */
export async function measureHandoffs(workspace: Workspace, waiter: Child, library: Library, budget: HandoffBudget): Promise<number[]> {
  const resource = workspace.resource(`handoff-${library.id}`);
  const session = await library.connect(workspace.env);
  const holder = await session.lock(resource);
  const latencies: number[] = [];
  try {
    const deadline = performance.now() + budget.seconds * 1e3;
    // Polling libraries: at least two hand-offs even when one takes longer than the budget.
    while (latencies.length < budget.count && (performance.now() < deadline || latencies.length < 2)) {
      await holder.acquire();
      waiter.send({ type: 'go', library: library.id, resource });
      await waiter.expect('waiting');
      // Let the waiter block in the kernel; a poller is released at a random point of
      // its first poll interval rather than always just after its first attempt.
      await sleep(1 + Math.random() * (library.pollMs ?? 0));
      const releasedAt = process.hrtime.bigint();
      await holder.release();
      const { at } = await waiter.expect('resumed', 60_000);
      latencies.push(Number(BigInt(at as string) - releasedAt) / 1e3);
    }
  } finally {
    await holder.close();
    await session.close();
  }
  return latencies;
}

export async function handoff({ quick, workspace, limits }: BenchContext): Promise<Section> {
  const kernelBudget = { count: quick ? 200 : 2_000, seconds: quick ? 3 : 30 };
  const pollerBudget = { count: quick ? 200 : 2_000, seconds: quick ? 1.5 : 15 };
  const { handoffUs } = await limits();
  const results: Array<{ library: Library; latency: LatencySummary }> = [];
  const waiter = await startHandoffWaiter(workspace, workspace.env);
  try {
    for (const library of localLibraries) {
      const budget = library.pollMs ? pollerBudget : kernelBudget;
      results.push({ library, latency: summarize(await measureHandoffs(workspace, waiter, library, budget)) });
    }
  } finally {
    await waiter.stop();
  }

  const lockwright = results.find((r) => r.library.id === 'lockwright-flock')!.latency;
  const kernel = handoffUs.flock;
  const targets: Target[] = [
    {
      goal: 'Cross-process hand-off p50 within 3× of the kernel hand-off (flock)',
      measured: `${formatRatio(lockwright.p50 / kernel.p50)} (${formatUs(lockwright.p50)} µs vs ${formatUs(kernel.p50)} µs)`,
      met: lockwright.p50 <= 3 * kernel.p50,
    },
    { goal: '… and p99 under 1 ms', measured: `${formatUs(lockwright.p99)} µs`, met: lockwright.p99 < 1_000 },
  ];
  const semaphore = results.find((r) => r.library.id === 'lockwright-semaphore')!.latency;
  targets.push({
    goal: '(SemaphoreStore: p50 within 3× of the semop hand-off, p99 under 1 ms)',
    measured: `${formatRatio(semaphore.p50 / handoffUs.semop.p50)}, p99 ${formatUs(semaphore.p99)} µs`,
    met: semaphore.p50 <= 3 * handoffUs.semop.p50 && semaphore.p99 < 1_000,
  });

  const notes: string[] = [];
  if (!targets.every((target) => target.met)) {
    const natives = results.filter((r) => r.library.mechanism && !r.library.id.startsWith('lockwright'));
    const best = natives.reduce((a, b) => (a.latency.p50 <= b.latency.p50 ? a : b), results[0]!);
    notes.push(
      `**Why lockwright is not within 3× of the kernel:** a C waiter resumes as soon as the kernel wakes it (${formatUs(kernel.p50)} µs here; on this VM waker and wakee often share a vCPU). A Node waiter is woken twice: the kernel wakes the addon's waiter thread, which wakes the event loop through the thread-safe function (eventfd + epoll), and only then do the promise continuations run. ` +
        `Every native peer pays the same two wake-ups (best peer: ${best.library.name}, p50 ${formatUs(best.latency.p50)} µs; lockwright FlockStore ${formatUs(lockwright.p50)} µs). Only a wait on the JS thread itself (synchronous flock, 18–31 µs in native.md §6.4) is faster, and it blocks the event loop. ` +
        'A reachable target is "within 1.2× of the best native peer, p99 under 1 ms".',
    );
  }

  return {
    title: 'Cross-process hand-off latency',
    method:
      `A holder process releases; a waiter blocked in the library's acquire in another process resumes in JavaScript. Microseconds from just before the holder's release call to the waiter's resume (CLOCK_MONOTONIC in both). ` +
      `Up to ${formatNumber(kernelBudget.count)} hand-offs per row (blocking libraries; pollers: as many as fit in ${pollerBudget.seconds} s). ` +
      `The holder releases 1 ms after the waiter said it is about to wait, plus, for pollers, a random part of their poll interval. "× kernel" divides p50 by the C hand-off on the same primitive.`,
    tables: [
      {
        columns: ['library', 'waits by', 'hand-offs', 'p50 µs', 'p90 µs', 'p99 µs', '× kernel p50', 'this ÷ lockwright flock p50'],
        rows: results.map(({ library, latency }) => [
          library.name,
          library.waits,
          formatNumber(latency.count),
          formatUs(latency.p50),
          formatUs(latency.p90),
          formatUs(latency.p99),
          library.mechanism ? formatRatio(latency.p50 / handoffUs[library.mechanism].p50) : '–',
          formatRatio(latency.p50 / lockwright.p50),
        ]),
      },
    ],
    notes,
    targets,
  };
}
