// Scenario: Memcached and ZooKeeper. lockwright MemcachedStore and ZookeeperStore on the
// run's own servers (started by the bench, killed at the end), with lockwright RedisStore
// on the run's redis-server as the yardstick a Node user knows: uncontended
// acquire+release, cross-process hand-off, and fairness over eight processes (ZooKeeper
// queues waiters first come, first served; Memcached can only be polled). No npm peer
// is measured: no maintained Memcached or ZooKeeper lock package is installed here. A
// server that cannot start leaves its rows out and says why.
import type { BenchContext } from '../harness/context.js';
import type { Section } from '../harness/report.js';
import { formatNumber } from '../harness/stats.js';
import { kvLibraries, libraryById, type Library } from '../libraries/index.js';
import { contentionColumns, contentionRows, hammer, HAMMER_PROCESSES, RETAKES_NOTE, startHammers, type ContentionResult } from './contention.js';
import { handoffsTable, measureHandoffsEach, measurePairs, pairsTable, probe, waitsTable } from './db-common.js';

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!;

export async function memcachedZookeeper(context: BenchContext): Promise<Section> {
  const { quick, workspace } = context;
  const notes: string[] = [];
  const servers: string[] = [];
  const failed: string[] = [];
  await context.memcached().then(
    (server) => servers.push(`memcached ${server.version} (127.0.0.1:${server.port}, 64 MB, 2 threads)`),
    (error) => failed.push(`MemcachedStore: ${firstLine(error)}`),
  );
  await context.zookeeper().then(
    (server) => servers.push(`ZooKeeper ${server.version} standalone (127.0.0.1:${server.port}, tickTime 500 ms, forceSync=no)`),
    (error) => failed.push(`ZookeeperStore: ${firstLine(error)}`),
  );
  const candidates: Library[] = kvLibraries.filter((library) => (library.backend === 'memcached' ? workspace.memcachedPort : workspace.zookeeperPort));
  if (candidates.length === 0) throw new Error(`neither server started: ${failed.join('; ')}`);
  await context.redis().then(
    (server) => {
      servers.push(`redis-server ${server.version} (yardstick)`);
      candidates.push(libraryById('lockwright-redis'));
    },
    (error) => notes.push(`No RedisStore yardstick: ${firstLine(error)}.`),
  );
  const env = workspace.env;
  const label = workspace.namespace;
  const { available, missing } = await probe(candidates, env, label);
  failed.push(...missing);
  if (!available.some((library) => library.backend !== 'redis')) throw new Error(`no store reachable: ${failed.join('; ')}`);

  const budget = { rounds: quick ? 3 : 7, roundMs: quick ? 100 : 400, warmupMs: quick ? 500 : 3_000 };
  const pairs = await measurePairs(available, env, label, budget);

  const handoffBudget = (library: Library) =>
    library.pollMs ? { count: quick ? 40 : 400, seconds: quick ? 0.5 : 8 } : { count: quick ? 60 : 1_000, seconds: quick ? 1 : 12 };
  const handoffs = await measureHandoffsEach(context, available, handoffBudget);

  const seconds = quick ? 0.5 : 5;
  const fairness: ContentionResult[] = [];
  const hammered = available.filter((library) => library.backend !== 'redis');
  const hammers = await startHammers(workspace, workspace.env);
  try {
    for (const library of hammered) fairness.push(await hammer(workspace, hammers, library, seconds));
  } finally {
    await Promise.all(hammers.map((child) => child.stop()));
  }
  const zookeeperFairness = fairness.find((result) => result.library.backend === 'zookeeper');
  const fairnessTable = contentionRows(fairness, zookeeperFairness);

  const reference = (id: string) => (result: { library: Library }) => result.library.id === id;
  if (failed.length > 0) notes.unshift(`**Not measured:** ${failed.join('; ')}.`);
  notes.push(
    ...fairnessTable.notes,
    RETAKES_NOTE,
    'MemcachedStore: a pair is `add`, then `gets` + `delete` (the token is checked before deleting); a waiter polls `add`, so its hand-off lands at its next poll, and which of eight processes gets the lock is whoever polls first after a release.',
    "ZookeeperStore: a pair creates the ephemeral lock node, then reads it (token check) and deletes it; each create and delete is a write through the server's commit log (forceSync=no here: no fsync). A waiter is woken by a watch on its predecessor in the server-kept queue. `acquire(true)` first tries to create the lock node and joins the queue only when that fails, so in the fairness loop a process that releases and re-acquires at once can take the lock before the head of the queue, woken by its watch one round trip later, gets there (barging, as flock allows): the FIFO order holds among processes that are waiting, not against one that never waits.",
  );

  return {
    title: 'Memcached and ZooKeeper',
    method:
      `Servers started by the bench: ${servers.join(', ')}. Uncontended: after ${budget.warmupMs / 1e3} s of warm-up per row (a freshly started JVM is several times slower), median pairs/s of ${budget.rounds} rounds of ${budget.roundMs} ms per row in one process, the rows' rounds interleaved; percentiles over every pair. ` +
      `Hand-off: as in the local table, up to ${formatNumber(handoffBudget(kvLibraries[1]!).count)} hand-offs per row (pollers: as many as fit in ${handoffBudget({ pollMs: 1 } as Library).seconds} s). ` +
      `Fairness: ${HAMMER_PROCESSES} processes loop \`acquire(true)\` → increment the shared counter file → release for ${seconds} s.`,
    tables: [
      waitsTable(available),
      pairsTable(pairs, pairs.find(reference('lockwright-redis'))),
      handoffsTable(handoffs, handoffs.find(reference('lockwright-redis'))),
      {
        caption: `Fairness (${HAMMER_PROCESSES} processes, one key, ${seconds} s)`,
        columns: contentionColumns('ZookeeperStore'),
        rows: fairnessTable.rows,
      },
    ],
    notes,
  };
}
