// Scale, measured inside one process:
//   held <count> <prefix>      acquire <count> distinct locks and hold them all
//   waiters <count> <resource> <count> locks wait on one resource the parent holds;
//                              each, once granted, releases at once; "drained" when all did
// Memory and thread figures are deltas from before the first lock was created.
import { readdirSync } from 'node:fs';
import { loadNative } from '../../dist/native.js';
import { processThreads } from '../harness/children.js';
import type { BenchLock } from '../libraries/index.js';
import { childArgs, now, onMessage, send } from './ipc.js';

const { library, env, rest } = childArgs();
const [mode, countText, name] = rest as [string, string, string];
const count = Number(countText);
const session = await library.connect(env);

const openFds = () => readdirSync('/proc/self/fd').length;
function footprint() {
  globalThis.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed, threads: processThreads(process.pid), fds: openFds() };
}
const delta = (before: ReturnType<typeof footprint>) => {
  const after = footprint();
  return { rss: after.rss - before.rss, heapUsed: after.heapUsed - before.heapUsed, threads: after.threads - before.threads, fds: after.fds - before.fds };
};
const nativeStats = () => (library.id.startsWith('lockwright') ? loadNative().stats() : undefined);

if (mode === 'held') {
  onMessage(async (message) => {
    if (message.type !== 'go') return;
    const before = footprint();
    const started = now();
    const locks: BenchLock[] = [];
    for (let i = 0; i < count; i++) {
      const lock = await session.lock(`${name}-${i}`);
      const held = lock.tryAcquire ? await lock.tryAcquire() : (await lock.acquire(), true);
      if (!held) throw new Error(`lock ${i} was not free`);
      locks.push(lock);
    }
    const acquiredNs = Number(now() - started);
    const held = delta(before);
    const releaseStarted = now();
    for (const lock of locks) await lock.release();
    const releasedNs = Number(now() - releaseStarted);
    await send({ type: 'held', acquireMs: acquiredNs / 1e6, releaseMs: releasedNs / 1e6, ...held });
  });
}

if (mode === 'waiters') {
  let before: ReturnType<typeof footprint> | undefined;
  let drained = 0;
  onMessage(async (message) => {
    if (message.type !== 'go') return;
    before = footprint();
    const locks = await Promise.all(Array.from({ length: count }, () => session.lock(name)));
    for (const lock of locks) {
      void lock.acquire().then(async () => {
        await lock.release();
        if (++drained === count) await send({ type: 'drained', at: now().toString() });
      });
    }
    await new Promise((resolve) => setTimeout(resolve, message.settleMs as number));
    await send({ type: 'waiting', ...delta(before), native: nativeStats() });
  });
}

await send({ type: 'ready' });
