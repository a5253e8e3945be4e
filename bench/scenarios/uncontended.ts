// Uncontended acquire + release in one process, through the public Lock API.
import { FlockStore, LockFactory, SemaphoreStore } from '../../dist/index.js';
import { loadNative } from '../../dist/native.js';
import type { Section } from '../harness/report.js';
import { formatNumber, opsPerSecond } from '../harness/stats.js';
import type { Workspace } from '../harness/workspace.js';

export async function uncontended({ quick, workspace }: { quick: boolean; workspace: Workspace }): Promise<Section> {
  const budget = { iterations: quick ? 20_000 : 100_000, rounds: quick ? 3 : 7 };
  const rows: Array<[string, number]> = [];

  const flock = new LockFactory(new FlockStore(workspace.dir)).createLock(workspace.resource('uncontended-flock'));
  rows.push(['locksmith FlockStore (Lock API)', await opsPerSecond(async () => {
    await flock.acquire();
    await flock.release();
  }, budget)]);

  const semaphore = new LockFactory(new SemaphoreStore({ namespace: workspace.namespace })).createLock(workspace.resource('uncontended-sem'));
  rows.push(['locksmith SemaphoreStore (Lock API)', await opsPerSecond(async () => {
    await semaphore.acquire();
    await semaphore.release();
  }, budget)]);

  // The addon's own try+unlock pair, without the Lock API: what the API layer costs.
  const handle = loadNative().openFlock(`${workspace.dir}/raw-addon.lock`, 0o600);
  rows.push(['addon flock tryLock+unlock (no Lock API)', await opsPerSecond(() => {
    handle.tryLock(false);
    handle.unlock();
  }, budget)]);
  handle.close();

  return {
    title: 'Uncontended acquire + release',
    method: `One process, one resource, nobody else: \`await lock.acquire(); await lock.release()\` in a loop; median of ${budget.rounds} rounds of ${budget.iterations} pairs.`,
    columns: ['library', 'ops/s', 'µs per pair'],
    rows: rows.map(([name, rate]) => [name, formatNumber(rate), formatNumber(1e6 / rate, 2)]),
  };
}
