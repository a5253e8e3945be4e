// `lockwright status <resource>`: held or free, and by which process where the OS says.
// A path (as `list` prints them) is looked at as the file it names.
import { existsSync } from 'node:fs';
import { Key } from '../core/key.js';
import { Lock } from '../core/lock.js';
import { FlockStore } from '../stores/local/flock-store.js';
import { flockHolders, type FlockHolder } from './proc-locks.js';
import { closeStore, openStoreFor, type StoreSource } from './store-option.js';

export interface StatusReport {
  resource: string;
  held: boolean;
  /** Known for flock locks on Linux (from /proc/locks). */
  holders?: FlockHolder[];
  file?: string;
}

/** `resource`: a lock name in the store, or a path (the file `list` prints, or any lock file). */
export async function lockStatus(name: string, source: StoreSource | undefined): Promise<StatusReport> {
  const { store, resource } = openStoreFor(name, source);
  try {
    if (store instanceof FlockStore) {
      const file = store.pathFor(resource);
      if (!existsSync(file)) return { resource, held: false, holders: [], file };
      const holders = flockHolders(file);
      if (holders !== null) return { resource, held: holders.length > 0, holders, file };
    }
    // Elsewhere: a probe that takes the lock only if it is free, and gives it back at once.
    const probe = new Lock(new Key(resource), store, { ttl: null, autoRelease: false });
    if (!(await probe.acquire())) return { resource, held: true };
    await probe.release();
    return { resource, held: false };
  } finally {
    await closeStore(store);
  }
}

export function formatStatus(report: StatusReport): string {
  if (!report.held) return `${report.resource}: free`;
  const holders = report.holders?.map((h) => `pid ${h.pid} (${h.mode})`).join(', ');
  return `${report.resource}: held${holders ? ` by ${holders}` : ''}`;
}
