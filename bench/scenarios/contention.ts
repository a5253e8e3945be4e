// Scenario 4: contention and fairness. Eight processes hammer one resource for a fixed
// time; the critical section increments a shared counter file. Throughput, min/max
// acquisitions per process, and the correctness check (counter == sum of counts).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../harness/context.js';
import { startChildren, type Child } from '../harness/children.js';
import type { Section, Target } from '../harness/report.js';
import type { CContention } from '../harness/physical.js';
import { formatNumber, formatRatio } from '../harness/stats.js';
import type { LockEnv, Workspace } from '../harness/workspace.js';
import { localLibraries, type Library } from '../libraries/index.js';

export const HAMMER_PROCESSES = 8;

export interface ContentionResult {
  library: Library;
  seconds: number;
  counts: number[];
  /** Acquire calls that gave up (the library's own timeout) and were retried. */
  failures: number;
  /** Acquisitions by the process that held the lock just before (no hand-off between processes). */
  retakes: number;
  counter: number;
}

/** Eight hammering processes, reused for one library after another. */
export function startHammers(workspace: Workspace, env: LockEnv): Promise<Child[]> {
  return startChildren(workspace, 'hammer', [env], HAMMER_PROCESSES);
}

export async function hammer(workspace: Workspace, hammers: Child[], library: Library, seconds: number): Promise<ContentionResult> {
  const resource = workspace.resource(`contention-${library.id}`);
  const counterPath = join(workspace.dir, `counter-${library.id}`);
  writeFileSync(counterPath, '0');
  for (const child of hammers) child.send({ type: 'prepare', library: library.id, resource, counterPath });
  await Promise.all(hammers.map((child) => child.expect('prepared')));
  const until = process.hrtime.bigint() + BigInt(seconds * 1e9);
  for (const child of hammers) child.send({ type: 'run', until: until.toString() });
  // Whoever still waits shortly after the deadline (a poller in a long backoff) reports as it is.
  const straggling = setTimeout(() => hammers.forEach((child) => child.send({ type: 'stop' })), seconds * 1e3 + 300);
  try {
    const reports = await Promise.all(hammers.map((child) => child.expect('count', seconds * 1e3 + 10_000)));
    return {
      library,
      seconds,
      counts: reports.map((report) => report.acquisitions as number),
      failures: reports.reduce((sum, report) => sum + (report.failures as number), 0),
      retakes: reports.reduce((sum, report) => sum + (report.retakes as number), 0),
      counter: Number(readFileSync(counterPath, 'utf8')),
    };
  } finally {
    clearTimeout(straggling);
  }
}

/** The columns of contentionRows(), the ratio column named after its `reference` row. */
export function contentionColumns(reference: string): string[] {
  return ['library', 'acquisitions/s', `this ÷ ${reference}`, 'min / max per process', 'min ÷ max', 'counter check', 're-takes'];
}

/** What the re-takes column means, for the notes of every table that has it. */
export const RETAKES_NOTE =
  '**Re-takes** are acquisitions by the process that held the lock just before (the counter still at the value it wrote): it released and took the lock back before any waiting process, so no hand-off between processes was paid. A FIFO hand-off (System V semop, lockwright\'s Redis queue) makes almost none; barging (flock and fcntl in the kernel, pollers) makes many: throughput then reads the same process looping, and fairness (min ÷ max) pays for it.';

/** Table rows (contentionColumns()), shared with the Redis and Memcached/ZooKeeper fairness tables. */
export function contentionRows(results: ContentionResult[], reference: ContentionResult | undefined): { rows: string[][]; notes: string[] } {
  const notes: string[] = [];
  const rows = results.map((result) => {
    const total = result.counts.reduce((a, b) => a + b, 0);
    const min = Math.min(...result.counts);
    const max = Math.max(...result.counts);
    const correct = total === result.counter;
    if (!correct) {
      notes.push(
        `**COUNTER MISMATCH for ${result.library.name}: the file says ${result.counter}, the processes counted ${total}. Two holders were in the critical section at once.**`,
      );
    }
    if (result.failures > 0) notes.push(`${result.library.name}: ${result.failures} acquire calls gave up (the library's timeout) and were retried.`);
    const check = correct ? `ok (${formatNumber(result.counter)})` : `**MISMATCH: file ${result.counter} ≠ ${total}**`;
    return contentionRow(result.library.name, { acquisitions: total, retakes: result.retakes, min, max, seconds: result.seconds }, check, reference);
  });
  return { rows, notes };
}

/** One row of contentionColumns(): `reference`'s rate is the ratio column's denominator. */
function contentionRow(name: string, c: CContention, check: string, reference: ContentionResult | undefined): string[] {
  const rate = c.acquisitions / c.seconds;
  return [
    name,
    formatNumber(rate),
    reference ? formatNumber(rate / (reference.counts.reduce((a, b) => a + b, 0) / reference.seconds), 2) : '–',
    `${formatNumber(c.min)} / ${formatNumber(c.max)}`,
    c.max > 0 ? formatNumber(c.min / c.max, 2) : '–',
    check,
    c.acquisitions > 0 ? `${formatNumber((100 * c.retakes) / c.acquisitions, 0)} %` : '–',
  ];
}

/** A row for the C loop (bench/c/limits.c): the same work without a runtime. limits.c exits with an error on a counter mismatch. */
function cRow(name: string, c: CContention, reference: ContentionResult): string[] {
  return contentionRow(name, c, `ok (${formatNumber(c.acquisitions)})`, reference);
}

/** What the C rows say, in this run's figures (whichever way they fall). */
function cRowsNote(c: { flock: CContention; semop: CContention }, nodeRates: number[]): string {
  const rate = (result: CContention) => result.acquisitions / result.seconds;
  const [flock, semop] = [rate(c.flock), rate(c.semop)];
  const [low, high] = [Math.min(...nodeRates), Math.max(...nodeRates)];
  return (
    `**The C rows** run the same loop in ${HAMMER_PROCESSES} C processes (bench/c/limits.c: the same open, read, close, open, write, close for the counter file), each blocking in the kernel on its only thread: what the machine allows without a runtime, measured just before the libraries. ` +
    `First-in-first-out semop makes ${formatNumber(semop)}/s with ${formatNumber((100 * c.semop.retakes) / Math.max(c.semop.acquisitions, 1), 0)} % re-takes, ${formatRatio(semop / flock)} the barging flock's ${formatNumber(flock)}/s (${formatNumber((100 * c.flock.retakes) / Math.max(c.flock.acquisitions, 1), 0)} % re-takes): in C a hand-off is one wake-up of the process that waits. ` +
    `A Node process cannot block its event loop: a hand-off to it wakes a waiter thread, which wakes the event loop, whose JavaScript runs the critical section, releases, and sends a thread back into the kernel for its next turn. ` +
    `Every Node library pays these wake-ups, and its rows sit together: ${formatNumber(low)} to ${formatNumber(high)}/s for the libraries that block in the kernel, ${formatRatio(low / semop)} to ${formatRatio(high / semop)} the C semop row. ` +
    'A re-take skips the wake-ups, so the barging libraries gain what the FIFO SemaphoreStore, with no re-takes, pays in full.'
  );
}

export async function contention({ quick, workspace, limits }: BenchContext): Promise<Section> {
  const seconds = quick ? 0.5 : 3;
  const physical = await limits();
  const c = {
    flock: await physical.contend('flock', HAMMER_PROCESSES, seconds),
    semop: await physical.contend('semop', HAMMER_PROCESSES, seconds),
  };
  const hammers = await startHammers(workspace, workspace.env);
  const results: ContentionResult[] = [];
  try {
    // An untimed round first: the first library measured would otherwise pay the
    // children's warm-up (their hammer loop not yet compiled), in a short window.
    await hammer(workspace, hammers, localLibraries[0]!, quick ? 0.2 : 0.5);
    for (const library of localLibraries) results.push(await hammer(workspace, hammers, library, seconds));
  } finally {
    await Promise.all(hammers.map((child) => child.stop()));
  }
  const { rows, notes } = contentionRows(results, results[0]);
  rows.push(cRow('C loop, flock(2), no runtime', c.flock, results[0]!), cRow('C loop, semop (SEM_UNDO), no runtime', c.semop, results[0]!));
  const total = (result: ContentionResult) => result.counts.reduce((a, b) => a + b, 0) / result.seconds;
  const peers = results.filter((result) => result.library.mechanism && !result.library.id.startsWith('lockwright') && !result.library.pollMs);
  // Every library that blocks in the kernel (lockwright's stores and the native peers).
  const native = results.filter((result) => result.library.mechanism && !result.library.pollMs);
  const best = peers.reduce((a, b) => (total(a) >= total(b) ? a : b));
  const targets: Target[] = results
    .filter((result) => result.library.id === 'lockwright-flock' || result.library.id === 'lockwright-semaphore')
    .map((result) => {
      const ratio = total(result) / total(best);
      const fairness = Math.min(...result.counts) / Math.max(...result.counts);
      const correct = result.counts.reduce((a, b) => a + b, 0) === result.counter;
      return {
        issue: 2,
        goal: `${result.library.name}, ${HAMMER_PROCESSES} processes on one resource: acquisitions/s ≥ 1.1× the best native peer, min/max per process ≥ 0.9, counter check ok`,
        measured: `${formatRatio(ratio)} (${formatNumber(total(result))} vs ${formatNumber(total(best))}/s ${best.library.name}), min/max ${formatNumber(fairness, 2)}, counter ${correct ? 'ok' : '**MISMATCH**'}`,
        met: ratio >= 1.1 && fairness >= 0.9 && correct,
      };
    });
  return {
    title: `Contention and fairness (${HAMMER_PROCESSES} processes, one resource)`,
    method: `${HAMMER_PROCESSES} processes loop acquire → read, increment and write a shared counter file → release, for ${seconds} s. Throughput is the sum of acquisitions per second; min/max are acquisitions per process; the check compares the counter file with the sum of the processes' counts.`,
    tables: [{ columns: contentionColumns('lockwright flock'), rows }],
    notes: [
      ...notes,
      'flock and fcntl locks let a process that releases and re-acquires at once win against a waiter the kernel has just woken (barging); System V semop hands the lock to the sleeping waiter. How much barging skews the counts depends on scheduling: see min ÷ max.',
      RETAKES_NOTE,
      'Waiting settings are those of the hand-off table.',
      cRowsNote(c, native.map(total)),
    ],
    targets,
  };
}
