// What the database and memcached/ZooKeeper scenarios share: probing which libraries can
// reach their server (a missing server leaves its rows out and says why, the others are
// still measured), uncontended pairs timed one by one, and hand-offs through the shared
// waiter child, each library's failure kept to its own row.
import type { BenchContext } from '../harness/context.js';
import type { Child } from '../harness/children.js';
import type { Table } from '../harness/report.js';
import { formatMs, formatNumber, formatRatio, summarize, timedCallsEach, timedRound, type LatencySummary } from '../harness/stats.js';
import type { LockEnv } from '../harness/workspace.js';
import type { Library } from '../libraries/index.js';
import { measureHandoffs, startHandoffWaiter, type HandoffBudget } from './handoff.js';

/** Rejects after `ms` with what was being waited for (a server that accepts but never answers). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1e3} s`)), ms))),
  ]);
}

/** The message's first line and its causes' (a store's "Failed to acquire" says little alone), without trailing dots. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e !== undefined && parts.length < 4; e = (e as { cause?: unknown } | null)?.cause) {
    const line = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.replace(/\.+$/, '');
    if (!parts.some((part) => part.includes(line))) parts.push(line);
    if (!(e instanceof Error)) break;
  }
  return parts.join(': ');
}
const firstLine = describeError;

/** The libraries that can take and give back a lock now; the others with the reason. */
export async function probe(libraries: Library[], env: LockEnv, label: string): Promise<{ available: Library[]; missing: string[] }> {
  const available: Library[] = [];
  const missing: string[] = [];
  for (const library of libraries) {
    try {
      await within(
        (async () => {
          const session = await library.connect(env);
          try {
            const lock = await session.lock(`${label}-probe-${library.id}`);
            await lock.acquire();
            await lock.release();
            await lock.close();
          } finally {
            await session.close();
          }
        })(),
        15_000,
        library.name,
      );
      available.push(library);
    } catch (error) {
      missing.push(`${library.name}: ${firstLine(error)}`);
    }
  }
  return { available, missing };
}

export interface PairResult {
  library: Library;
  rate: number;
  latency: LatencySummary;
}

/** Uncontended acquire(blocking) + release of each library, one process, rounds interleaved. */
export async function measurePairs(
  libraries: Library[],
  env: LockEnv,
  label: string,
  budget: { rounds: number; roundMs: number; warmupMs?: number },
): Promise<PairResult[]> {
  const cleanups: Array<() => unknown> = [];
  try {
    const ops: Array<() => Promise<unknown>> = [];
    for (const library of libraries) {
      const session = await library.connect(env);
      cleanups.push(() => session.close());
      const lock = await session.lock(`${label}-uncontended-${library.id}`);
      cleanups.push(() => lock.close());
      ops.push(async () => {
        await lock.acquire();
        await lock.release();
      });
    }
    // A server that has just started (a JVM compiling its hot paths) needs longer than
    // timedCallsEach's own warm-up round.
    if (budget.warmupMs) for (const op of ops) await timedRound(op, budget.warmupMs);
    const results = await timedCallsEach(ops, budget);
    return results.map((result, i) => ({ library: libraries[i]!, ...result }));
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

export interface HandoffResult {
  library: Library;
  latency?: LatencySummary;
  error?: string;
}

/** Hand-offs of each library to one waiter child (a new one after a failure). */
export async function measureHandoffsEach(
  context: BenchContext,
  libraries: Library[],
  budgetOf: (library: Library) => HandoffBudget,
): Promise<HandoffResult[]> {
  const { workspace } = context;
  const results: HandoffResult[] = [];
  let waiter: Child | undefined;
  try {
    for (const library of libraries) {
      waiter ??= await startHandoffWaiter(workspace, workspace.env);
      try {
        results.push({ library, latency: summarize(await measureHandoffs(workspace, waiter, library, budgetOf(library))) });
      } catch (error) {
        results.push({ library, error: firstLine(error) });
        await waiter.stop();
        waiter = undefined;
      }
    }
  } finally {
    await waiter?.stop();
  }
  return results;
}

export function waitsTable(libraries: Library[]): Table {
  return { caption: 'How each library waits', columns: ['library', 'waits by'], rows: libraries.map((library) => [library.name, library.waits]) };
}

export function pairsTable(pairs: PairResult[], reference: PairResult | undefined): Table {
  return {
    caption: 'Uncontended acquire + release (one process, nobody else)',
    columns: ['library', 'calls', 'pairs/s', 'p50 ms', 'p90 ms', 'p99 ms', `this p50 ÷ ${reference?.library.name ?? '–'}`],
    rows: pairs.map(({ library, rate, latency }) => [
      library.name,
      `\`${library.calls.acquire} + ${library.calls.release}\``,
      formatNumber(rate),
      formatMs(latency.p50),
      formatMs(latency.p90),
      formatMs(latency.p99),
      reference ? formatRatio(latency.p50 / reference.latency.p50) : '–',
    ]),
  };
}

export function handoffsTable(results: HandoffResult[], reference: HandoffResult | undefined): Table {
  return {
    caption: "Cross-process hand-off (ms from the holder's release call to the waiter resuming in JavaScript in another process)",
    columns: ['library', 'hand-offs', 'p50 ms', 'p90 ms', 'p99 ms', `this p50 ÷ ${reference?.library.name ?? '–'}`],
    rows: results.map(({ library, latency, error }) =>
      latency
        ? [
            library.name,
            formatNumber(latency.count),
            formatMs(latency.p50),
            formatMs(latency.p90),
            formatMs(latency.p99),
            reference?.latency ? formatRatio(latency.p50 / reference.latency.p50) : '–',
          ]
        : [library.name, `**failed**: ${error}`, '–', '–', '–', '–'],
    ),
  };
}
