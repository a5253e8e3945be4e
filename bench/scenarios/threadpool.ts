// Scenario 5: is the libuv threadpool still free while locks wait? fs.readFile latency in
// a process idle, then with 64 of its locks blocked on a resource this process holds.
// Each library runs in its own child (default UV_THREADPOOL_SIZE of 4), killed after
// the measurement: a frozen pool would never give its waits back.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../harness/context.js';
import { Child, startChildPerItem } from '../harness/children.js';
import type { Section, Target } from '../harness/report.js';
import { formatNumber, formatRatio, formatUs, type LatencySummary } from '../harness/stats.js';
import { localLibraries, type Library } from '../libraries/index.js';

const WAITERS = 64;

type ReadResult = { stalled: false; latency: LatencySummary } | { stalled: true; completed: number };

export async function threadpool({ quick, workspace }: BenchContext): Promise<Section> {
  const reads = quick ? 100 : 1_000;
  const READ_TIMEOUT_MS = quick ? 500 : 2_000;
  const file = join(workspace.dir, 'readfile-payload');
  writeFileSync(file, 'x'.repeat(4096));
  const { UV_THREADPOOL_SIZE: _ignored, ...childEnv } = process.env;

  const rows: string[][] = [];
  const targets: Target[] = [];
  // Native libraries only: proper-lockfile's waits are timers.
  const libraries = localLibraries.filter((l) => l.mechanism);
  const resourceOf = (library: Library) => workspace.resource(`threadpool-${library.id}`);
  const children = await startChildPerItem(libraries, (library) => new Child(workspace, 'waiters', [library.id, workspace.env, resourceOf(library), WAITERS], { env: childEnv }));
  for (const library of libraries) {
    const session = await library.connect(workspace.env);
    const holder = await session.lock(resourceOf(library));
    await holder.acquire();
    const child = children.get(library)!;
    try {
      // All its threads on one CPU: on this VM a thread hop to another vCPU costs a
      // wake-up whose price varies threefold with placement, from one process to the next.
      execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', '1', String(child.pid)], { stdio: 'ignore' });
      const read = async () => {
        child.send({ type: 'read', path: file, reads, timeoutMs: READ_TIMEOUT_MS });
        return (await child.expect('read', reads * READ_TIMEOUT_MS)) as unknown as ReadResult;
      };
      await read(); // warm-up: the pool's threads start, readFile gets optimised
      const idle = await read();
      child.send({ type: 'wait', settleMs: 300 });
      const { threads } = await child.expect('waiting');
      const loaded = await read();
      if (idle.stalled) throw new Error(`${library.name}: readFile stalled before any lock waited`);
      const describe = (result: ReadResult) =>
        result.stalled ? `**stalled** (no answer in ${formatNumber(READ_TIMEOUT_MS)} ms; ${result.completed} reads done)` : formatUs(result.latency.p50);
      const ratio = loaded.stalled ? Infinity : loaded.latency.p50 / idle.latency.p50;
      rows.push([
        library.name,
        formatUs(idle.latency.p50),
        formatUs(idle.latency.p99),
        describe(loaded),
        loaded.stalled ? '–' : formatUs(loaded.latency.p99),
        loaded.stalled ? 'stalled' : formatRatio(ratio),
        String(threads),
      ]);
      if (library.id === 'locksmith-flock' || library.id === 'locksmith-semaphore') {
        targets.push({
          goal: `\`fs.readFile\` with ${WAITERS} blocked waiters ≤ 1.2× its idle latency (${library.name})`,
          measured: loaded.stalled ? 'stalled' : `${formatRatio(ratio)} (p50 ${formatUs(loaded.latency.p50)} µs vs ${formatUs(idle.latency.p50)} µs)`,
          met: ratio <= 1.2,
        });
      }
    } finally {
      await child.stop();
      await holder.release();
      await holder.close();
      await session.close();
    }
  }
  return {
    title: `Threadpool health (readFile with ${WAITERS} blocked waiters)`,
    method:
      `A child process (default threadpool of 4) warms up, then times ${formatNumber(reads)} sequential \`fs.promises.readFile\` calls of a 4 KiB file while idle (median p50/p99 of blocks of 100 reads), then starts ${WAITERS} blocking acquires on a resource the parent holds, waits 300 ms and times ${formatNumber(reads)} reads again. ` +
      `A read that takes over ${formatNumber(READ_TIMEOUT_MS)} ms counts as stalled; the child is killed afterwards either way.`,
    tables: [{ columns: ['library', 'idle p50 µs', 'idle p99 µs', `${WAITERS} waiting p50 µs`, `${WAITERS} waiting p99 µs`, 'waiting ÷ idle p50', 'threads in the process while waiting'], rows }],
    notes: [
      'fs-ext and os-lock block each wait on a libuv threadpool thread: 4 waiters take the whole default pool, and every later fs, dns.lookup, crypto and zlib call of the process queues behind locks that may never be released.',
      'fs-native-extensions 1.5 creates one thread per blocked wait (no pool starvation, one thread each); locksmith keeps one kernel waiter per resource and process, the other waiters queue in JS.',
      'Thread counts include Node\'s own (main, V8 platform workers, libuv pool once used, inspector/signal threads).',
    ],
    targets,
  };
}
