// Scenario 6: CPU burnt while waiting. 16 locks in a child process wait for a resource
// the parent holds; the child's CPU time (utime + stime from /proc/<pid>/stat, all
// threads) is sampled over the waiting window. For Redis libraries the redis-server's
// CPU over the same window is counted as well: polling costs the server too.
import type { BenchContext } from '../harness/context.js';
import { Child, processCpuSeconds } from '../harness/children.js';
import type { Section } from '../harness/report.js';
import { formatNumber, sleep } from '../harness/stats.js';
import { localLibraries, redisLibraries, type Library } from '../libraries/index.js';

const WAITERS = 16;

export async function cpu(context: BenchContext): Promise<Section> {
  const { quick, workspace } = context;
  const seconds = quick ? 1 : 5;
  const libraries: Library[] = [...localLibraries];
  const redis = await context.redis().catch(() => undefined);
  if (redis) libraries.push(...redisLibraries);

  const rows: string[][] = [];
  for (const library of libraries) {
    const resource = workspace.resource(`cpu-${library.id}`);
    const session = await library.connect(workspace.env);
    const holder = await session.lock(resource);
    await holder.acquire();
    const child = new Child(workspace, 'waiters', [library.id, workspace.env, resource, WAITERS]);
    try {
      await child.expect('ready');
      child.send({ type: 'wait', settleMs: 300 });
      await child.expect('waiting');
      const [childBefore, serverBefore] = [child.cpuSeconds(), redis && library.backend === 'redis' ? processCpuSeconds(redis.pid) : 0];
      await sleep(seconds * 1e3);
      const [childAfter, serverAfter] = [child.cpuSeconds(), redis && library.backend === 'redis' ? processCpuSeconds(redis.pid) : 0];
      const clientCpu = childAfter - childBefore;
      const serverCpu = serverAfter - serverBefore;
      rows.push([
        library.name,
        library.waits,
        formatNumber(clientCpu, 2),
        library.backend === 'redis' ? formatNumber(serverCpu, 2) : '–',
        `${formatNumber(((clientCpu + serverCpu) / seconds) * 100, 1)} %`,
      ]);
    } finally {
      await child.stop();
      await holder.release();
      await holder.close();
      await session.close();
    }
  }
  return {
    title: `CPU while waiting (${WAITERS} waiters, ${seconds} s)`,
    method: `${WAITERS} locks in one child process block on a resource the parent holds; after 300 ms to settle, the child's CPU seconds (user + system, all threads, /proc/<pid>/stat, 10 ms ticks) are sampled over ${seconds} s of waiting; for Redis libraries, the redis-server's CPU over the same window too.`,
    tables: [{ columns: ['library', 'waits by', 'waiting process CPU s', 'redis-server CPU s', 'of one core'], rows }],
    notes: [
      "The proper-lockfile row with the package's own backoff burns almost nothing because it sleeps 1, 2, 4 … s between tries: the price is the hand-off latency above.",
      ...(redis ? [] : ['Redis libraries skipped: no redis-server could be started.']),
    ],
  };
}
