// N locks of one process blocked on a resource the parent holds. Optionally measures
// fs.readFile latency before and while they wait (is the libuv threadpool still free?),
// each read bounded by a timeout so that a frozen pool is reported, not waited for.
// The parent measures this process's CPU and kills it: blocked waits may never end.
import { readFile } from 'node:fs/promises';
import { processThreads } from '../harness/children.js';
import { median, summarize, type LatencySummary } from '../harness/stats.js';
import { childArgs, now, onMessage, send } from './ipc.js';

const { library, env, rest } = childArgs();
const [resource, count] = [rest[0]!, Number(rest[1])];
const session = await library.connect(env);
const locks = await Promise.all(Array.from({ length: count }, () => session.lock(resource)));

/**
 * Latencies (µs) of `reads` sequential readFile calls, in blocks of 100 reads: the
 * median block p50/p99 (a scheduling hiccup spoils one block, not the figure), or
 * "stalled" when one read hangs past the timeout.
 */
async function readFileLatency(path: string, reads: number, timeoutMs: number) {
  const blocks: LatencySummary[] = [];
  for (let block = 0; block < Math.max(1, reads / 100); block++) {
    const samples: number[] = [];
    for (let i = 0; i < 100; i++) {
      const started = now();
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        readFile(path).then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (!finished) return { stalled: true as const, completed: block * 100 + samples.length };
      samples.push(Number(now() - started) / 1e3);
    }
    blocks.push(summarize(samples));
  }
  return { stalled: false as const, latency: { ...blocks[0]!, p50: median(blocks.map((b) => b.p50)), p99: median(blocks.map((b) => b.p99)) } };
}

onMessage(async (message) => {
  if (message.type === 'read') {
    const result = await readFileLatency(message.path as string, message.reads as number, message.timeoutMs as number);
    await send({ type: 'read', ...result });
  }
  if (message.type === 'wait') {
    for (const lock of locks) void lock.acquire().catch(() => {});
    // Give every wait time to reach the kernel (or its first poll).
    await new Promise((resolve) => setTimeout(resolve, message.settleMs as number));
    await send({ type: 'waiting', threads: processThreads(process.pid) });
  }
});
await send({ type: 'ready' });
