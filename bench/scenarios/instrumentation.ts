// The cost of instrumentation: acquire+release with no subscriber on the diagnostics
// channels, with a subscriber on every channel, and with a LockManager collecting
// metrics, in one run and one process.
import diagnostics from 'node:diagnostics_channel';
import { FlockStore, LockFactory, LockManager, channelNames, type Lock } from '../../dist/index.js';
import type { BenchContext } from '../harness/context.js';
import type { Section } from '../harness/report.js';
import { formatNumber, formatRatio, opsPerSecond } from '../harness/stats.js';

const CHANNELS = [
  ...['start', 'end', 'asyncStart', 'asyncEnd', 'error'].map((event) => `tracing:locksmith:lock:acquire:${event}`),
  ...Object.values(channelNames).filter((name) => !name.startsWith('tracing:')),
];

const pairOf = (lock: Lock) => async () => {
  await lock.acquire();
  await lock.release();
};

export async function instrumentation({ quick, workspace }: BenchContext): Promise<Section> {
  const budget = { rounds: quick ? 3 : 7, roundMs: quick ? 100 : 400 };
  const plain = new LockFactory(new FlockStore(workspace.dir)).createLock(workspace.resource('instrumentation'));
  const bare = await opsPerSecond(pairOf(plain), budget);

  let events = 0;
  const count = () => void events++;
  CHANNELS.forEach((name) => diagnostics.subscribe(name, count));
  let subscribed: number;
  try {
    subscribed = await opsPerSecond(pairOf(plain), budget);
  } finally {
    CHANNELS.forEach((name) => diagnostics.unsubscribe(name, count));
  }

  const manager = new LockManager({ default: 'file', stores: { file: { driver: 'file', path: workspace.dir } }, prefix: '' });
  let collecting: number;
  let counted: number;
  try {
    collecting = await opsPerSecond(pairOf(manager.createLock(workspace.resource('instrumentation-metrics'))), budget);
    counted = manager.metrics().acquired;
  } finally {
    await manager.close();
  }
  const afterwards = await opsPerSecond(pairOf(plain), budget);

  const rows: Array<[string, number]> = [
    ['no subscriber (the default)', bare],
    ['a counting subscriber on every channel', subscribed],
    ['LockManager collecting metrics (subscribed to every channel)', collecting],
    ['no subscriber again, after unsubscribing', afterwards],
  ];
  return {
    title: 'Instrumentation overhead',
    method: `FlockStore, one process, nobody else: \`await lock.acquire(); await lock.release()\` in a loop; median of ${budget.rounds} rounds of ${budget.roundMs} ms per row, rows one after another in this order.`,
    tables: [
      {
        columns: ['diagnostics', 'ops/s', 'µs per pair', 'time ÷ no subscriber'],
        rows: rows.map(([name, rate]) => [name, formatNumber(rate), formatNumber(1e6 / rate, 2), formatRatio(bare / rate)]),
      },
    ],
    notes: [
      `Events seen by the counting subscriber: ${formatNumber(events)}; acquisitions counted by the LockManager's metrics: ${formatNumber(counted)}.`,
      'Without subscribers `Lock` checks `hasSubscribers` once per event and builds no message; the last row shows the cost goes away again after unsubscribing.',
    ],
  };
}
