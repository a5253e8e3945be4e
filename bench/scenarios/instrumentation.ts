// The cost of instrumentation: acquire+release with no subscriber on the diagnostics
// channels, with a subscriber on every channel, and with a LockManager collecting
// metrics; rounds interleaved, so that a drifting machine touches every row alike.
import diagnostics from 'node:diagnostics_channel';
import { FlockStore, LockFactory, LockManager, channelNames, type Lock } from '../../dist/index.js';
import type { BenchContext } from '../harness/context.js';
import type { Section, Target } from '../harness/report.js';
import { formatNumber, formatRatio, median, timedRound } from '../harness/stats.js';

const CHANNELS = [
  ...['start', 'end', 'asyncStart', 'asyncEnd', 'error'].map((event) => `tracing:lockwright:lock:acquire:${event}`),
  ...Object.values(channelNames).filter((name) => !name.startsWith('tracing:')),
];

const pairOf = (lock: Lock) => async () => {
  await lock.acquire();
  await lock.release();
};

interface Condition {
  name: string;
  /** Sets the condition up for one round; returns the op and the teardown. */
  enter(): Promise<{ op: () => Promise<void>; leave(): Promise<void> }>;
}

export async function instrumentation({ quick, workspace }: BenchContext): Promise<Section> {
  const budget = { rounds: quick ? 3 : 9, roundMs: quick ? 100 : 300 };
  const plain = new LockFactory(new FlockStore(workspace.dir)).createLock(workspace.resource('instrumentation'));
  let events = 0;
  let counted = 0;
  const count = () => void events++;
  const conditions: Condition[] = [
    { name: 'no subscriber (the default)', enter: async () => ({ op: pairOf(plain), leave: async () => {} }) },
    {
      name: 'a counting subscriber on every channel',
      enter: async () => {
        CHANNELS.forEach((name) => diagnostics.subscribe(name, count));
        return { op: pairOf(plain), leave: async () => CHANNELS.forEach((name) => diagnostics.unsubscribe(name, count)) };
      },
    },
    {
      name: 'LockManager collecting metrics (told by its own locks; no channel subscribed)',
      enter: async () => {
        const manager = new LockManager({ default: 'file', stores: { file: { driver: 'file', path: workspace.dir } }, prefix: '' });
        const lock = manager.createLock(workspace.resource('instrumentation-metrics'));
        return {
          op: pairOf(lock),
          leave: async () => {
            counted += manager.metrics().acquired;
            await manager.close();
          },
        };
      },
    },
  ];
  const rates: number[][] = conditions.map(() => []);
  for (let round = -1; round < budget.rounds; round++) {
    for (const [i, condition] of conditions.entries()) {
      const { op, leave } = await condition.enter();
      try {
        const rate = await timedRound(op, round < 0 ? 100 : budget.roundMs); // round -1 warms up
        if (round >= 0) rates[i]!.push(rate);
      } finally {
        await leave();
      }
    }
  }
  const medians = rates.map(median);
  const bare = medians[0]!;
  const managed = medians[2]!;
  const targets: Target[] = [
    {
      issue: 6,
      goal: 'No regression: a LockManager collecting metrics costs ≤ 1.15× a bare `Lock` (FlockStore acquire+release)',
      measured: `${formatRatio(bare / managed)} (${formatNumber(1e6 / managed, 2)} µs vs ${formatNumber(1e6 / bare, 2)} µs)`,
      met: bare / managed <= 1.15,
    },
  ];
  return {
    title: 'Instrumentation overhead',
    method: `FlockStore, one process, nobody else: \`await lock.acquire(); await lock.release()\` in a loop; median of ${budget.rounds} rounds of ${budget.roundMs} ms per row, the rows' rounds interleaved.`,
    tables: [
      {
        columns: ['diagnostics', 'ops/s', 'µs per pair', 'time ÷ no subscriber'],
        rows: conditions.map((c, i) => [c.name, formatNumber(medians[i]!), formatNumber(1e6 / medians[i]!, 2), formatRatio(bare / medians[i]!)]),
      },
    ],
    notes: [
      `Events seen by the counting subscriber: ${formatNumber(events)}; acquisitions counted by the LockManager's metrics: ${formatNumber(counted)}.`,
      'Without subscribers `Lock` checks `hasSubscribers` once per event and builds no message. With one, every acquire is traced (TracingChannel.tracePromise: five events and a context object) and every release publishes one message.',
      "A LockManager's metrics subscribe to no channel: the locks it creates tell its collector directly (two `performance.now()` readings and two histogram samples per pair), so the other locks of the process publish nothing on its account.",
    ],
    targets,
  };
}
