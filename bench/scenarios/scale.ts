// Scenario 8: scale. 10,000 locks held at once by one process (time, memory, threads,
// descriptors), and 1,000 waiters of one process on one resource (threads created,
// memory, time to drain once the holder lets go). Each measurement in a fresh child.
import type { BenchContext } from '../harness/context.js';
import { Child, startChildPerItem } from '../harness/children.js';
import type { Section, Target } from '../harness/report.js';
import { formatNumber } from '../harness/stats.js';
import { localLibraries, type Library } from '../libraries/index.js';

const mib = (bytes: number) => formatNumber(bytes / 2 ** 20, 1);

export async function scale({ quick, workspace }: BenchContext): Promise<Section> {
  const heldCount = quick ? 1_000 : 10_000;
  const waiterCount = quick ? 100 : 1_000;
  const drainTimeoutMs = quick ? 1_000 : 20_000;
  const settleMs = quick ? 200 : 500;
  const targets: Target[] = [];

  const heldLibraries = localLibraries.filter((l) => l.id !== 'proper-lockfile-10ms');
  const waiterLibraries = localLibraries.filter((l) => !l.pollMs);
  const prefixOf = (library: Library) => `scale-held-${library.id}`;
  const resourceOf = (library: Library) => workspace.resource(`scale-waiters-${library.id}`);
  const start = (library: Library, ...args: unknown[]) => new Child(workspace, 'scale', [library.id, workspace.env, ...args], { nodeFlags: ['--expose-gc'] });
  const [heldChildren, waiterChildren] = await Promise.all([
    startChildPerItem(heldLibraries, (library) => start(library, 'held', heldCount, prefixOf(library))),
    startChildPerItem(waiterLibraries, (library) => start(library, 'waiters', waiterCount, resourceOf(library))),
  ]);

  const heldRows: string[][] = [];
  for (const library of heldLibraries) {
    for (let i = 0; i < heldCount; i++) workspace.resource(`${prefixOf(library)}-${i}`);
    const child = heldChildren.get(library)!;
    try {
      child.send({ type: 'go' });
      const held = await child.expect('held', 120_000);
      heldRows.push([
        library.name,
        formatNumber(held.acquireMs as number),
        formatNumber(((held.acquireMs as number) * 1e3) / heldCount, 1),
        mib(held.rss as number),
        formatNumber((held.rss as number) / heldCount / 1024, 2),
        mib(held.heapUsed as number),
        formatNumber(held.fds as number),
        String(held.threads),
        formatNumber(held.releaseMs as number),
      ]);
    } finally {
      await child.stop();
    }
  }

  const waiterRows: string[][] = [];
  const notes: string[] = [];
  for (const library of waiterLibraries) {
    const session = await library.connect(workspace.env);
    const holder = await session.lock(resourceOf(library));
    await holder.acquire();
    const child = waiterChildren.get(library)!;
    try {
      child.send({ type: 'go', settleMs });
      const waiting = await child.expect('waiting', 60_000);
      const native = waiting.native as { waiterThreads: number; pendingWaits: number } | undefined;
      const releasedAt = process.hrtime.bigint();
      await holder.release();
      let drain: string;
      try {
        const drained = await child.expect('drained', drainTimeoutMs);
        drain = formatNumber(Number(BigInt(drained.at as string) - releasedAt) / 1e6, 1);
      } catch {
        drain = `**did not drain in ${formatNumber(drainTimeoutMs / 1e3)} s**`;
        if (library.waitsOnThreadpool) {
          notes.push(
            `${library.name}: every pool thread is blocked in a lock wait, and the granted waiter's release is queued on the same pool behind the other waits: the process deadlocks on itself.`,
          );
        }
      }
      if (!library.excludesInProcess) {
        notes.push(`${library.name}: POSIX record locks belong to the process, so its ${formatNumber(waiterCount)} locks do not exclude each other: they are all granted at once when the parent lets go.`);
      }
      waiterRows.push([
        library.name,
        formatNumber(waiting.threads as number),
        native ? `${native.waiterThreads} / ${native.pendingWaits}` : '–',
        mib(waiting.rss as number),
        mib(waiting.heapUsed as number),
        formatNumber(waiting.fds as number),
        drain,
      ]);
      if (native) {
        targets.push({
          issue: 6,
          goal: `No regression: ${formatNumber(waiterCount)} waiters on one resource cost one kernel waiter thread (${library.name})`,
          measured: `${native.waiterThreads} waiter thread(s), ${native.pendingWaits} kernel wait(s); ${waiting.threads} threads created in all`,
          met: native.waiterThreads === 1 && native.pendingWaits === 1,
        });
      }
    } finally {
      await child.stop();
      await holder.close();
      await session.close();
    }
  }

  return {
    title: 'Scale',
    method:
      `Each row in a fresh child process. Held: ${formatNumber(heldCount)} distinct resources acquired one after another (non-blocking call where the library has one) and held at once; deltas from before the first lock. ` +
      `Waiters: ${formatNumber(waiterCount)} locks of one process block on one resource the parent holds; after ${settleMs} ms the deltas are read, then the parent releases and each waiter, once granted, releases at once; drain = parent's release to the last waiter's release.`,
    tables: [
      {
        caption: `${formatNumber(heldCount)} locks held at once`,
        columns: ['library', 'acquire all ms', 'µs per lock', 'RSS Δ MiB', 'KiB per lock', 'heap Δ MiB', 'fds Δ', 'threads Δ', 'release all ms'],
        rows: heldRows,
      },
      {
        caption: `${formatNumber(waiterCount)} waiters on one resource`,
        columns: ['library', 'threads Δ', 'addon waiter threads / kernel waits', 'RSS Δ MiB', 'heap Δ MiB', 'fds Δ', 'drain ms'],
        rows: waiterRows,
      },
    ],
    notes: [
      ...notes,
      'proper-lockfile is left out of the waiters table: a thousand mkdir pollers measure its backoff, not a queue.',
      'Memory is read after a forced GC (the children run with --expose-gc); RSS deltas include what the allocator keeps. File creation dominates the time of the first acquisition of each lock file (every fd-based row creates 10,000 files).',
    ],
    targets,
  };
}
