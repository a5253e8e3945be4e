import { randomUUID } from 'node:crypto';
import type { PersistingStore } from '../../src/index.js';

/** What a store's test file gives the conformance suites. */
export interface ConformanceTarget<S extends PersistingStore = PersistingStore> {
  name: string;
  /** A store for one test; several calls must give stores that see each other's locks. */
  makeStore(): S;
  /** Called with every resource name a suite uses (to clean kernel objects up afterwards). */
  onResource?(resource: string): void;
  /** Locks live in this process only (flock, semaphore): keys refuse to serialize. */
  local?: boolean;
  /** Remote stores: a serialized key owns the lock in another process (transferable suite). */
  transferable?: boolean;
  /** Locks expire: the store honours TTLs (expiring suite). */
  expiring?: {
    /** A store whose save() gives locks this initial lifetime, in ms. */
    makeStoreWithInitialTtl(initialTtl: number): PersistingStore;
    /**
     * The store keeps expiries in whole steps of this many ms (1,000 for a table of Unix
     * seconds), so a lock may live up to one step beyond its TTL: the suite stretches its
     * TTLs and sleeps to fit. Default 1 (millisecond precision).
     */
    granularity?: number;
  };
}

export function resourceNamer(target: ConformanceTarget): (label: string) => string {
  return (label) => {
    const resource = `conformance-${label}-${randomUUID()}`;
    target.onResource?.(resource);
    return resource;
  };
}
