// Scenario: counting semaphores (limit 2). lockwright's Semaphore over RedisPermitStore
// and over LockPermitStore (slot locks on FlockStore) beside redis-semaphore's Semaphore:
// uncontended acquire+release in one process, and eight processes sharing one semaphore
// of limit 2 (throughput of hand-offs, fairness, and a check that never more than 2 hold).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../harness/context.js';
import { startChildren, type Child } from '../harness/children.js';
import type { Section, Target } from '../harness/report.js';
import { formatNumber, formatRatio, isThenable, opsPerSecondEach } from '../harness/stats.js';
import type { Workspace } from '../harness/workspace.js';
import { semaphoreLibraries, type Library } from '../libraries/index.js';
import { SEMAPHORE_LIMIT } from '../libraries/semaphores.js';
import { connectRedis } from '../libraries/redis-client.js';
import { commandsPerCall } from './redis.js';
import type { Redis } from 'ioredis';

const PROCESSES = 8;

interface SharedResult {
  library: Library;
  seconds: number;
  counts: number[];
  failures: number;
  overlaps: number;
  /** Redis libraries: script calls (EVALSHA/EVAL) per acquisition, from the server's commandstats. */
  scriptsPerAcquisition?: number;
}

async function share(workspace: Workspace, children: Child[], library: Library, seconds: number, admin: Redis): Promise<SharedResult> {
  const resource = workspace.resource(`semaphore-shared-${library.id}`);
  const slotsDir = join(workspace.dir, `slots-${library.id}`);
  mkdirSync(slotsDir);
  for (const child of children) child.send({ type: 'prepare', library: library.id, resource, slotsDir });
  await Promise.all(children.map((child) => child.expect('prepared')));
  if (library.backend === 'redis') await admin.config('RESETSTAT');
  const until = process.hrtime.bigint() + BigInt(seconds * 1e9);
  for (const child of children) child.send({ type: 'run', until: until.toString() });
  const straggling = setTimeout(() => children.forEach((child) => child.send({ type: 'stop' })), seconds * 1e3 + 300);
  try {
    const reports = await Promise.all(children.map((child) => child.expect('count', seconds * 1e3 + 10_000)));
    const counts = reports.map((report) => report.acquisitions as number);
    const result: SharedResult = {
      library,
      seconds,
      counts,
      failures: reports.reduce((sum, report) => sum + (report.failures as number), 0),
      overlaps: reports.reduce((sum, report) => sum + (report.overlaps as number), 0),
    };
    if (library.backend === 'redis') {
      // Includes the scripts of "stop"-abandoned tries after the deadline: a slight overcount.
      const stats = await admin.info('commandstats');
      const calls = [...stats.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)].reduce((sum, [, , n]) => sum + Number(n), 0);
      result.scriptsPerAcquisition = calls / Math.max(1, counts.reduce((a, b) => a + b, 0));
    }
    return result;
  } finally {
    clearTimeout(straggling);
  }
}

export async function semaphores(context: BenchContext): Promise<Section> {
  const { quick, workspace } = context;
  const server = await context.redis();
  const env = workspace.env;
  const byId = (id: string) => semaphoreLibraries.find((library) => library.id === id);

  // Uncontended: one process, one semaphore per library, rounds interleaved.
  const budget = { rounds: quick ? 3 : 9, roundMs: quick ? 100 : 500 };
  const cases: Array<{ library: Library; call: string; blocking: boolean; op: () => unknown; commands?: string }> = [];
  const cleanups: Array<() => unknown> = [];
  let uncontended: Array<{ library: Library; call: string; blocking: boolean; rate: number; commands?: string }> = [];
  const admin = await connectRedis(env);
  workspace.onDispose(() => admin.disconnect()); // should a measurement throw
  try {
    for (const library of semaphoreLibraries) {
      const session = await library.connect(env);
      const semaphore = await session.lock(workspace.resource(`semaphore-uncontended-${library.id}`));
      cleanups.push(() => session.close(), () => semaphore.close()); // run in reverse
      const pair = (acquire: () => unknown) => () => {
        const acquired = acquire();
        return isThenable(acquired) ? acquired.then(() => semaphore.release()) : semaphore.release();
      };
      cases.push({ library, call: `${library.calls.acquire} + ${library.calls.release}`, blocking: true, op: pair(() => semaphore.acquire()) });
      if (semaphore.tryAcquire) cases.push({ library, call: `${library.calls.tryAcquire} + ${library.calls.release}`, blocking: false, op: pair(() => semaphore.tryAcquire!()) });
    }
    for (const c of cases) if (c.library.backend === 'redis') c.commands = await commandsPerCall(admin, c.op);
    const rates = await opsPerSecondEach(
      cases.map((c) => c.op),
      budget,
    );
    uncontended = cases.map(({ op: _op, ...row }, i) => ({ ...row, rate: rates[i]! }));
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }

  // Shared: eight processes, one semaphore of limit 2.
  const seconds = quick ? 0.5 : 3;
  const children = await startChildren(workspace, 'semaphore-hammer', [env], PROCESSES);
  const shared: SharedResult[] = [];
  try {
    for (const library of semaphoreLibraries) shared.push(await share(workspace, children, library, seconds, admin));
  } finally {
    await Promise.all(children.map((child) => child.stop()));
    admin.disconnect();
  }

  const rateOf = (id: string, blocking: boolean) => uncontended.find((row) => row.library.id === id && row.blocking === blocking)?.rate;
  const throughputOf = (result: SharedResult | undefined) => (result ? result.counts.reduce((a, b) => a + b, 0) / result.seconds : undefined);
  const lockwrightRate = rateOf('lockwright-redis-permits', true)!;
  const lockwrightShared = shared.find((result) => result.library.id === 'lockwright-redis-permits')!;
  const lockwrightThroughput = throughputOf(lockwrightShared)!;
  const targets: Target[] = [];
  const peer = byId('redis-semaphore-semaphore');
  if (peer) {
    const peerRate = rateOf(peer.id, true)!;
    const peerThroughput = throughputOf(shared.find((result) => result.library.id === peer.id))!;
    targets.push(
      {
        goal: `Semaphore uncontended acquire+release ≥ 1.0× ${peer.name} (blocking calls)`,
        measured: `${formatRatio(lockwrightRate / peerRate)} (${formatNumber(lockwrightRate)} vs ${formatNumber(peerRate)} ops/s)`,
        met: lockwrightRate >= peerRate,
      },
      {
        goal: `Semaphore hand-offs, ${PROCESSES} processes on limit ${SEMAPHORE_LIMIT}: throughput ≥ 1.0× ${peer.name}`,
        measured: `${formatRatio(lockwrightThroughput / peerThroughput)} (${formatNumber(lockwrightThroughput)} vs ${formatNumber(peerThroughput)} acquisitions/s)`,
        met: lockwrightThroughput >= peerThroughput,
      },
    );
  }
  targets.push({
    goal: `Never more than ${SEMAPHORE_LIMIT} holders at once (every library)`,
    measured: shared.map((result) => `${result.library.name}: ${result.overlaps} overlaps`).join('; '),
    met: shared.every((result) => result.overlaps === 0),
  });

  const notes: string[] = [];
  for (const result of shared) {
    if (result.failures > 0) notes.push(`${result.library.name}: ${result.failures} acquire calls gave up (the library's timeout) and were retried.`);
    if (result.overlaps > 0) notes.push(`**${result.library.name}: ${result.overlaps} times more than ${SEMAPHORE_LIMIT} holders were inside at once.**`);
  }
  return {
    title: `Semaphores (limit ${SEMAPHORE_LIMIT})`,
    method:
      `Every semaphore has ${SEMAPHORE_LIMIT} permits; each holder takes one. Redis rows on the run's redis-server ${server.version}, ioredis 5 clients, permit TTL 10 s; SysvPermitStore in the run's System V namespace; LockPermitStore over FlockStore in the run's directory. ` +
      `Uncontended: median of ${budget.rounds} rounds of ${budget.roundMs} ms per row in one process, the rows' rounds interleaved. ` +
      `Shared: ${PROCESSES} processes loop acquire → check in → check out → release on one semaphore for ${seconds} s; checking in creates one of ${SEMAPHORE_LIMIT} slot files with O_EXCL, so a holder that finds none free counts an overlap.`,
    tables: [
      { caption: 'How each semaphore waits', columns: ['library', 'waits by'], rows: semaphoreLibraries.map((library) => [library.name, library.waits]) },
      {
        caption: 'Uncontended acquire + release',
        columns: ['library', 'calls', 'ops/s', 'µs per pair', 'lockwright RedisPermitStore `acquire(true)` ÷ this', 'commands the Redis server ran per pair (inside scripts too)'],
        rows: uncontended.map((row) => [
          row.library.name,
          `\`${row.call}\``,
          formatNumber(row.rate),
          formatNumber(1e6 / row.rate, 1),
          formatRatio(lockwrightRate / row.rate),
          row.commands ?? '–',
        ]),
      },
      {
        caption: `${PROCESSES} processes sharing one semaphore of limit ${SEMAPHORE_LIMIT} (${seconds} s)`,
        columns: ['library', 'acquisitions/s', 'this ÷ lockwright RedisPermitStore', 'min / max per process', 'min ÷ max', 'overlaps', 'Redis scripts run per acquisition'],
        rows: shared.map((result) => {
          const min = Math.min(...result.counts);
          const max = Math.max(...result.counts);
          const throughput = throughputOf(result)!;
          return [
            result.library.name,
            formatNumber(throughput),
            formatNumber(throughput / lockwrightThroughput, 2),
            `${formatNumber(min)} / ${formatNumber(max)}`,
            max > 0 ? formatNumber(min / max, 2) : '–',
            String(result.overlaps),
            result.scriptsPerAcquisition === undefined ? '–' : formatNumber(result.scriptsPerAcquisition, 1),
          ];
        }),
      },
    ],
    notes: [
      ...notes,
      'With a critical section of a few µs, throughput measures hand-offs: a released permit reaching one of the six waiting processes. A waiter that polls (redis-semaphore every 10 ms, Lock over LockPermitStore about every 100 ms) lets the permit sit free until its next try; a releasing process that loops straight back into acquire often wins it again.',
    ],
    targets,
  };
}
