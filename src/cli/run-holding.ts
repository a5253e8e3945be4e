// What `lockwright run` holds while its command runs: one lock (a name in the store, or
// a path: that file), several at once (`--also`: a MultiLock, all or nothing, in one
// canonical order), or one of N permits (`--limit N`: a Semaphore). run-command.ts
// waits, runs and releases the same way for all three.
import type { Lock } from '../core/lock.js';
import { LockFactory } from '../core/lock-factory.js';
import { MultiLock } from '../core/multi-lock.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { PersistingStore } from '../core/store.js';
import type { AcquireOptions } from '../core/wait.js';
import type { Semaphore } from '../semaphore/semaphore.js';
import { SemaphoreFactory } from '../semaphore/semaphore-factory.js';
import { FlockStore } from '../stores/local/flock-store.js';
import { isPathResource } from './file-lock-store.js';
import { descriptorsOf } from './lock-descriptors.js';
import { closeStore, openPermitStore, openStoresFor, type StoreSource } from './store-option.js';

export interface Holding {
  /** For messages: `"job"`, `"a", "b"`. */
  what: string;
  /** What was held, for the lost-lock message: `the lock`, `the locks`, `a permit of`. */
  noun: string;
  /** exclusive, shared, or `1 of 3 permits`. */
  mode: string;
  /** The store, for --verbose. */
  storeName: string;
  take(options: AcquireOptions): Promise<boolean>;
  release(): Promise<void>;
  /** Aborts when the holding is lost (read after taking). */
  readonly signal: AbortSignal;
  /**
   * The descriptors of the held flock locks, which the command inherits (as with
   * flock(1)); null when anything held cannot be inherited (then the command dies with us).
   */
  inheritableFds(): number[] | null;
  /** Closes the stores opened for this holding. */
  close(): Promise<void>;
}

export interface HoldingOptions {
  /** The other resources (`--also`), locked with `resource` as one. */
  also: readonly string[];
  /** `--limit`: a semaphore of this many permits instead of a lock. */
  limit?: number;
  shared: boolean;
  /** Milliseconds. */
  ttl: number;
  store: StoreSource | undefined;
}

export function openHolding(resource: string, options: HoldingOptions): Holding {
  if (options.limit !== undefined) return semaphoreHolding(resource, options.limit, options);
  const { targets, stores } = openStoresFor([resource, ...options.also], options.store);
  const lockOptions = { ttl: options.ttl, autoRefresh: true, autoRelease: false };
  let held: Lock | MultiLock;
  try {
    const locks = targets.map(({ store, resource: name }) => new LockFactory(store).createLock(name, lockOptions));
    held = locks.length === 1 ? locks[0]! : new MultiLock(locks, { autoRelease: false });
  } catch (error) {
    void closeAll(stores).catch(() => {}); // the error says what is wrong; nothing is held yet
    throw error;
  }
  const resources = held instanceof MultiLock ? held.resources : [held.key.resource];
  const storeOf = new Map(targets.map(({ store, resource: name }) => [name, store]));
  return {
    what: resources.map((name) => `"${name}"`).join(', '),
    noun: resources.length === 1 ? 'the lock' : 'the locks',
    mode: options.shared ? 'shared' : 'exclusive',
    storeName: [...new Set(stores.map((store) => store.constructor.name))].join(', '),
    take: (o) => (options.shared ? held.acquireRead(o) : held.acquire(o)),
    release: () => held.release(),
    get signal() {
      return held.signal;
    },
    inheritableFds() {
      const all = resources.map((name) => storeOf.get(name)!);
      if (!all.every((store) => store instanceof FlockStore)) return null;
      return resources.flatMap((name) => descriptorsOf((storeOf.get(name) as FlockStore).pathFor(name)));
    },
    close: () => closeAll(stores),
  };
}

function semaphoreHolding(resource: string, limit: number, options: HoldingOptions): Holding {
  if (isPathResource(resource)) {
    throw new InvalidArgumentError(
      `--limit counts holders of a name, and "${resource}" is a path (it contains "/"): a path locks exactly that one file with flock(2), ` +
        'as flock(1) does, and one file cannot count N holders. Give a name without "/" (permits live in the --store, by default System V semaphores on Linux).',
    );
  }
  if (options.also.length > 0) throw new InvalidArgumentError('--limit and --also do not combine: --limit counts holders of one name, --also locks several names at once.');
  if (options.shared) throw new InvalidArgumentError('--limit and -s do not combine: every holder of a permit is already one of N.');
  const store = openPermitStore(options.store);
  let semaphore: Semaphore;
  try {
    semaphore = new SemaphoreFactory(store).createSemaphore(resource, limit, { ttl: options.ttl, autoRefresh: true, autoRelease: false });
  } catch (error) {
    void store.close?.().catch(() => {});
    throw error;
  }
  return {
    what: `"${resource}"`,
    noun: 'the permit of',
    mode: `1 of ${limit} permits`,
    storeName: store.constructor.name,
    take: (o) => semaphore.acquire(o),
    release: () => semaphore.release(),
    get signal() {
      return semaphore.signal;
    },
    inheritableFds: () => null,
    close: async () => {
      await store.close?.();
    },
  };
}

async function closeAll(stores: readonly PersistingStore[]): Promise<void> {
  const outcomes = await Promise.allSettled(stores.map(closeStore));
  const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}
