// Scenario 6: CPU burnt while waiting. 16 locks in a child process wait for a resource
// the parent holds; the child's CPU time (utime + stime from /proc/<pid>/stat, all
// threads) is sampled over the waiting window. Local libraries wait side by side in
// one window (each child is measured on its own); Redis libraries take turns, because
// the redis-server's CPU over the window is counted too: polling costs the server.
import type { BenchContext } from '../harness/context.js';
import { Child, processCpuSeconds, startChildPerItem, stopAll } from '../harness/children.js';
import type { Section } from '../harness/report.js';
import { formatNumber, sleep } from '../harness/stats.js';
import { localLibraries, redisLibraries, type BenchLock, type Library, type Session } from '../libraries/index.js';

const WAITERS = 16;
const SETTLE_MS = 300;

const resourceOf = (context: BenchContext, library: Library) => context.workspace.resource(`cpu-${library.id}`);

interface Waiting {
  library: Library;
  session: Session;
  holder: BenchLock;
  child: Child;
}

/** Holds the library's resource in this process and makes the child's locks wait for it. */
async function startWaiting(context: BenchContext, library: Library, child: Child): Promise<Waiting> {
  const session = await library.connect(context.workspace.env);
  const holder = await session.lock(resourceOf(context, library));
  await holder.acquire();
  child.send({ type: 'wait', settleMs: SETTLE_MS });
  await child.expect('waiting');
  return { library, session, holder, child };
}

async function stopWaiting({ child, holder, session }: Waiting): Promise<void> {
  await child.stop();
  await holder.release();
  await holder.close();
  await session.close();
}

/** CPU seconds of each child (and of `serverPid`, if given) over `seconds`. */
async function sampleCpu(waiting: Waiting[], seconds: number, serverPid?: number): Promise<{ children: number[]; server: number }> {
  const before = waiting.map(({ child }) => child.cpuSeconds());
  const serverBefore = serverPid ? processCpuSeconds(serverPid) : 0;
  await sleep(seconds * 1e3);
  return {
    children: waiting.map(({ child }, i) => child.cpuSeconds() - before[i]!),
    server: serverPid ? processCpuSeconds(serverPid) - serverBefore : 0,
  };
}

export async function cpu(context: BenchContext): Promise<Section> {
  const seconds = context.quick ? 0.5 : 5;
  const rows: string[][] = [];
  const row = (library: Library, clientCpu: number, serverCpu?: number) => [
    library.name,
    library.waits,
    formatNumber(clientCpu, 2),
    serverCpu === undefined ? '–' : formatNumber(serverCpu, 2),
    `${formatNumber(((clientCpu + (serverCpu ?? 0)) / seconds) * 100, 1)} %`,
  ];

  const redis = await context.redis().catch(() => undefined);
  const libraries = [...localLibraries, ...(redis ? redisLibraries : [])];
  const children = await startChildPerItem(libraries, (library) => new Child(context.workspace, 'waiters', [library.id, context.workspace.env, resourceOf(context, library), WAITERS]));

  try {
    const local: Waiting[] = [];
    try {
      local.push(...(await Promise.all(localLibraries.map((library) => startWaiting(context, library, children.get(library)!)))));
      const cpu = await sampleCpu(local, seconds);
      local.forEach(({ library }, i) => rows.push(row(library, cpu.children[i]!)));
    } finally {
      for (const waiting of local) await stopWaiting(waiting);
    }
    for (const library of redis ? redisLibraries : []) {
      const waiting = await startWaiting(context, library, children.get(library)!);
      try {
        const cpu = await sampleCpu([waiting], seconds, redis!.pid);
        rows.push(row(library, cpu.children[0]!, cpu.server));
      } finally {
        await stopWaiting(waiting);
      }
    }
  } finally {
    await stopAll(children.values());
  }

  return {
    title: `CPU while waiting (${WAITERS} waiters, ${seconds} s)`,
    method:
      `${WAITERS} locks in one child process block on a resource the parent holds; after ${SETTLE_MS} ms to settle, the child's CPU seconds (user + system, all threads, /proc/<pid>/stat, 10 ms ticks) are sampled over ${seconds} s of waiting. ` +
      `Local libraries wait side by side in one window; Redis libraries one at a time, with the redis-server's CPU over the same window.`,
    tables: [{ columns: ['library', 'waits by', 'waiting process CPU s', 'redis-server CPU s', 'of one core'], rows }],
    notes: [
      "proper-lockfile with the package's own backoff burns almost nothing because it sleeps 1, 2, 4 … s between tries: the price is the hand-off latency above.",
      ...(redis ? [] : ['Redis libraries skipped: no redis-server could be started.']),
    ],
  };
}
