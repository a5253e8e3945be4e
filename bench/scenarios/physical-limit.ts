// Scenario 1: what the kernel itself costs (bench/c/limits.c), the floor every local
// figure is compared with.
import type { BenchContext } from '../harness/context.js';
import { mechanismNames, mechanisms } from '../harness/physical.js';
import type { Section } from '../harness/report.js';
import { formatNumber, formatUs } from '../harness/stats.js';

export async function physicalLimit({ limits }: BenchContext): Promise<Section> {
  const measured = await limits();
  const { pairs, rounds, handoffs } = measured.budget;
  return {
    title: 'Physical limit (C, no runtime)',
    method:
      `\`bench/c/limits.c\` compiled with \`cc -O2\` (${measured.compiler}). Pair: median of ${rounds} rounds of ${formatNumber(pairs)} uncontended acquire+release pairs. ` +
      `Hand-off (method of native.md §6.2): the parent holds the lock, a child blocks on it; once /proc shows the child sleeping the parent waits 200 µs, stamps and unlocks; ` +
      `the child stamps as its call returns; ${formatNumber(handoffs)} hand-offs.`,
    tables: [
      {
        columns: ['kernel primitive', 'pair ns', 'hand-off p50 µs', 'p90 µs', 'p99 µs'],
        rows: mechanisms.map((mechanism) => {
          const handoff = measured.handoffUs[mechanism];
          return [mechanismNames[mechanism], formatNumber(measured.pairNs[mechanism]), formatUs(handoff.p50), formatUs(handoff.p90), formatUs(handoff.p99)];
        }),
      },
    ],
  };
}
