// Scenario 3: cross-process hand-off. The holder (this process) releases; a waiter
// blocked in another process resumes in JavaScript. Latency = the waiter's resume stamp
// minus the holder's stamp just before release (CLOCK_MONOTONIC in both).
import type { BenchContext } from '../harness/context.js';
import { startChildren, type Child } from '../harness/children.js';
import type { Section, Target } from '../harness/report.js';
import { formatNumber, formatRatio, formatUs, sleep, summarize, type LatencySummary } from '../harness/stats.js';
import type { LockEnv, Workspace } from '../harness/workspace.js';
import { localFloorLibraries, localLibraries, type Library } from '../libraries/index.js';

export interface HandoffBudget {
  /** Hand-offs wanted. */
  count: number;
  /** …unless this many seconds run out first (polling libraries). */
  seconds: number;
  /** Hand-offs taken even when they outlast `seconds` (default 2). */
  min?: number;
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
    // Polling libraries: a few hand-offs even when one takes longer than the budget.
    const min = budget.min ?? 2;
    while (latencies.length < budget.count && (performance.now() < deadline || latencies.length < min)) {
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

/** Issue 13 asks for the hand-off targets in each of this many consecutive runs. */
export const HANDOFF_RUNS = 3;

export async function handoff({ quick, workspace, limits }: BenchContext): Promise<Section> {
  // Per run; the table pools the runs.
  const kernelBudget = { count: quick ? 70 : 700, seconds: quick ? 1 : 10 };
  // proper-lockfile's default backoff takes up to a second per hand-off: one per quick run.
  const pollerBudget = { count: quick ? 70 : 700, seconds: quick ? 0.4 : 5, min: quick ? 1 : 2 };
  const { handoffUs } = await limits();
  // The floor row runs in turn with the libraries, so that it meets the same moments of the machine.
  const measured = [...localLibraries, ...localFloorLibraries];
  const runs: Array<Map<string, number[]>> = [];
  const waiter = await startHandoffWaiter(workspace, workspace.env);
  try {
    for (let run = 0; run < HANDOFF_RUNS; run++) {
      const samples = new Map<string, number[]>();
      for (const library of measured) {
        samples.set(library.id, await measureHandoffs(workspace, waiter, library, library.pollMs ? pollerBudget : kernelBudget));
      }
      runs.push(samples);
    }
  } finally {
    await waiter.stop();
  }
  const results = measured.map((library) => {
    const samples = runs.flatMap((run) => run.get(library.id)!);
    return { library, latency: summarize(samples), overMs: samples.filter((us) => us > 1_000).length / samples.length };
  });

  // Native peers: the libraries that wait in the kernel (no pollers), lockwright aside.
  const peers = localLibraries.filter((library) => library.mechanism && !library.id.startsWith('lockwright') && !library.pollMs);
  const perRun = runs.map((run) => {
    const summaries = new Map([...run].map(([id, samples]) => [id, summarize(samples)]));
    const best = peers.reduce((a, b) => (summaries.get(a.id)!.p50 <= summaries.get(b.id)!.p50 ? a : b));
    return { summaries, best, bestP50: summaries.get(best.id)!.p50 };
  });
  const targets: Target[] = ['lockwright-flock', 'lockwright-semaphore'].map((id) => {
    const name = localLibraries.find((library) => library.id === id)!.name;
    const met = perRun.every(({ summaries, bestP50 }) => summaries.get(id)!.p50 <= bestP50 && summaries.get(id)!.p99 < 1_000);
    return {
      issue: 3,
      goal: `${name} cross-process hand-off p50 ≤ 1.0× the best native peer's, p99 < 1 ms, in each of ${HANDOFF_RUNS} consecutive runs`,
      measured: perRun
        .map(({ summaries, best, bestP50 }, i) => {
          const own = summaries.get(id)!;
          return `run ${i + 1}: ${formatRatio(own.p50 / bestP50)} (${formatUs(own.p50)} vs ${formatUs(bestP50)} µs ${best.name}), p99 ${formatUs(own.p99)} µs`;
        })
        .join('; '),
      met,
    };
  });
  const resultOf = (id: string) => results.find((r) => r.library.id === id)!;
  const lockwright = resultOf('lockwright-flock').latency;

  const notes: string[] = [
    `${HANDOFF_RUNS} consecutive runs, each measuring every library in turn (${formatNumber(kernelBudget.count)} hand-offs per library and run); the table pools them, the targets look at each run.`,
  ];
  const floor = resultOf('lockwright-addon-flock');
  const flock = resultOf('lockwright-flock');
  const bestPeer = peers.map((library) => resultOf(library.id)).reduce((a, b) => (a.latency.p50 <= b.latency.p50 ? a : b));
  const share = (overMs: number) => `${formatNumber(100 * overMs, 1)} %`;
  notes.push(
    `**The floor row** is lockwright's addon alone (\`FlockHandle.wait\`: no store, no \`Lock\`), measured in turn with the others: the wait every local store makes, flock(2) on a pooled waiter thread whose grant reaches the event loop through a thread-safe function. ` +
      `It resumes at p50 ${formatUs(floor.latency.p50)} µs, p99 ${formatUs(floor.latency.p99)} µs, ${share(floor.overMs)} over 1 ms, against ${bestPeer.library.name}'s ${formatUs(bestPeer.latency.p50)}, ${formatUs(bestPeer.latency.p99)} µs and ${share(bestPeer.overMs)}: ` +
      `the difference to the FlockStore row (p50 ${formatUs(flock.latency.p50)} µs, p99 ${formatUs(flock.latency.p99)} µs, ${share(flock.overMs)} over 1 ms) is the store's and \`Lock\`'s JavaScript between the grant and the caller's continuation.`,
  );
  if (!targets.every((target) => target.met)) {
    notes.push(
      '**Where a hand-off spends its time:** a C waiter resumes as soon as the kernel wakes it. A Node waiter is woken twice: the kernel wakes the waiter thread blocked in flock/semtimedop, which wakes the event loop (a thread-safe function: a queue under a mutex and a uv_async_t, i.e. eventfd + epoll), and only then does the JavaScript continuation run (lockwright settles `acquire()` inside that callback: the caller resumes in the first microtask after it, as with the peers). ' +
        'Every native peer pays the same two wake-ups; the rest is scheduling on a shared 2-vCPU VM, where the waiter thread, the event loop and the holder often wait for the same CPU. Every library has hand-offs over 1 ms (the "over 1 ms" column): the p99 of one run of 700 is its 7th slowest hand-off, so whether it stays under 1 ms turns on a handful of scheduling delays.',
    );
  }

  return {
    title: 'Cross-process hand-off latency',
    method:
      `A holder process releases; a waiter blocked in the library's acquire in another process resumes in JavaScript. Microseconds from just before the holder's release call to the waiter's resume (CLOCK_MONOTONIC in both). ` +
      `Up to ${formatNumber(kernelBudget.count * HANDOFF_RUNS)} hand-offs per row (blocking libraries; pollers: as many as fit in ${formatNumber(pollerBudget.seconds * HANDOFF_RUNS)} s). ` +
      `The holder releases 1 ms after the waiter said it is about to wait, plus, for pollers, a random part of their poll interval. "× kernel" divides p50 by the C hand-off on the same primitive.`,
    tables: [
      {
        columns: ['library', 'waits by', 'hand-offs', 'p50 µs', 'p90 µs', 'p99 µs', 'over 1 ms', '× kernel p50', 'this ÷ lockwright flock p50'],
        rows: results.map(({ library, latency, overMs }) => [
          library.name,
          library.waits,
          formatNumber(latency.count),
          formatUs(latency.p50),
          formatUs(latency.p90),
          formatUs(latency.p99),
          `${formatNumber(100 * overMs, 1)} %`,
          library.mechanism ? formatRatio(latency.p50 / handoffUs[library.mechanism].p50) : '–',
          formatRatio(latency.p50 / lockwright.p50),
        ]),
      },
    ],
    notes,
    targets,
  };
}
