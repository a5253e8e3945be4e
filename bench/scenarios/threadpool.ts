// Scenario 5: is the libuv threadpool still free while locks wait? fs.readFile latency in
// a process idle, then with 64 of its locks blocked on a resource this process holds.
// Each library runs in its own child (default UV_THREADPOOL_SIZE of 4), killed after
// the measurement: a frozen pool would never give its waits back.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../harness/context.js';
import { Child, startChildPerItem, stopAll } from '../harness/children.js';
import type { Section, Target } from '../harness/report.js';
import { formatNumber, formatRatio, formatUs, median, type LatencySummary } from '../harness/stats.js';
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
  const start = (library: Library, count: number) => new Child(workspace, 'waiters', [library.id, workspace.env, resourceOf(library), count], { env: childEnv });
  const children = await startChildPerItem(libraries, (library) => start(library, WAITERS));
  // The control: a process with no lock at all, read in turns with the one measured, so
  // that a drift of the machine during the measurement touches both alike.
  const [control] = [...(await startChildPerItem([libraries[0]!], (library) => start(library, 0))).values()];
  // All threads of both on one CPU: on this VM a thread hop to another vCPU costs a
  // wake-up whose price varies threefold with placement, from one process to the next.
  const pin = (child: Child) => execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', '1', String(child.pid)], { stdio: 'ignore' });
  const read = async (child: Child, count: number): Promise<ReadResult> => {
    child.send({ type: 'read', path: file, reads: count, timeoutMs: READ_TIMEOUT_MS });
    return (await child.expect('read', count * READ_TIMEOUT_MS + 5_000)) as unknown as ReadResult;
  };
  pin(control!);
  await read(control!, 100); // warm-up: the pool's threads start, readFile gets optimised
  try {
    for (const library of libraries) {
      const session = await library.connect(workspace.env);
      const holder = await session.lock(resourceOf(library));
      await holder.acquire();
      const child = children.get(library)!;
      try {
        pin(child);
        await read(child, 100);
        const idle = await read(child, reads);
        if (idle.stalled) throw new Error(`${library.name}: readFile stalled before any lock waited`);
        child.send({ type: 'wait', settleMs: 300 });
        const { threads } = await child.expect('waiting');
        // Blocks of 100 reads, control and measured in turns.
        const controlBlocks: LatencySummary[] = [];
        const loadedBlocks: LatencySummary[] = [];
        let stalled: ReadResult | undefined;
        for (let block = 0; block < reads / 100 && !stalled; block++) {
          const controlRead = await read(control!, 100);
          const loadedRead = await read(child, 100);
          if (controlRead.stalled) throw new Error('readFile stalled in the control process');
          controlBlocks.push(controlRead.latency);
          if (loadedRead.stalled) stalled = loadedRead;
          else loadedBlocks.push(loadedRead.latency);
        }
        const controlP50 = median(controlBlocks.map((b) => b.p50));
        const loadedP50 = median(loadedBlocks.map((b) => b.p50));
        const ratio = stalled ? Infinity : loadedP50 / controlP50;
        rows.push([
          library.name,
          formatUs(idle.latency.p50),
          formatUs(controlP50),
          stalled?.stalled ? `**stalled** (no answer in ${formatNumber(READ_TIMEOUT_MS)} ms; ${stalled.completed} reads done)` : formatUs(loadedP50),
          stalled ? '–' : formatUs(median(loadedBlocks.map((b) => b.p99))),
          stalled ? 'stalled' : formatRatio(ratio),
          String(threads),
        ]);
        if (library.id === 'lockwright-flock' || library.id === 'lockwright-semaphore') {
          targets.push({
            issue: 6,
            goal: `No regression: \`fs.readFile\` with ${WAITERS} blocked waiters ≤ 1.2× its latency with no lock (${library.name})`,
            measured: stalled ? 'stalled' : `${formatRatio(ratio)} (p50 ${formatUs(loadedP50)} µs vs ${formatUs(controlP50)} µs with no lock, read in turns)`,
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
  } finally {
    await stopAll([...children.values(), control!]);
  }
  return {
    title: `Threadpool health (readFile with ${WAITERS} blocked waiters)`,
    method:
      `A child process (default threadpool of 4) warms up and times ${formatNumber(reads)} sequential \`fs.promises.readFile\` calls of a 4 KiB file ("idle, same process"), then starts ${WAITERS} blocking acquires on a resource the parent holds and, 300 ms later, ` +
      `times ${formatNumber(reads)} reads again in blocks of 100, in turns with a control process that holds no lock at all (both pinned to one CPU). Latencies are the median of the blocks' p50 (p99). ` +
      `A read that takes over ${formatNumber(READ_TIMEOUT_MS)} ms counts as stalled; the child is killed afterwards either way.`,
    tables: [
      {
        columns: ['library', 'idle, same process p50 µs', 'no lock (control) p50 µs', `${WAITERS} waiting p50 µs`, `${WAITERS} waiting p99 µs`, 'waiting ÷ control p50', 'threads in the process while waiting'],
        rows,
      },
    ],
    notes: [
      'fs-ext and os-lock block each wait on a libuv threadpool thread: 4 waiters take the whole default pool, and every later fs, dns.lookup, crypto and zlib call of the process queues behind locks that may never be released.',
      'fs-native-extensions 1.5 creates one thread per blocked wait (no pool starvation, one thread each); lockwright keeps one kernel waiter per resource and process, the other waiters queue in JS.',
      'Thread counts include Node\'s own (main, V8 platform workers, libuv pool once used, inspector/signal threads).',
    ],
    targets,
  };
}
