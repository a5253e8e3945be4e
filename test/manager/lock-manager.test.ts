import { describe, expect, it } from 'vitest';
import diagnostics from 'node:diagnostics_channel';
import { InMemoryStore, InvalidArgumentError, Key, Lock, LockConflictedError, channelNames, type PersistingStore, type RefreshMessage } from '../../src/index.js';
import { LockManager } from '../../src/manager/lock-manager.js';
import type { LockManagerConfig } from '../../src/manager/config.js';
import { LockHolder } from '../helpers/child.js';
import { semaphoreNamespace } from '../helpers/semaphores.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const { namespace, track } = semaphoreNamespace();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const targets: Array<{ name: string; config: LockManagerConfig; child?: Record<string, unknown> }> = [
  { name: 'in-memory', config: { default: 'mine', stores: { mine: { driver: 'custom', store: new InMemoryStore() } } } },
  { name: 'flock', config: { default: 'file', stores: { file: { driver: 'file', path: dir } } }, child: { store: 'flock', dir } },
  { name: 'semaphore', config: { default: 'semaphore', stores: { semaphore: { driver: 'semaphore', namespace } } }, child: { store: 'semaphore', namespace } },
];

let counter = 0;
const unique = (label: string) => {
  const name = `${label}-${process.pid}-${counter++}`;
  track(`lockwright:${name}`);
  return name;
};

describe.each(targets)('LockManager over $name', ({ config, child }) => {
  const manager = () => new LockManager({ ...config, retry: { delay: 20, maxWait: 2_000 } });

  it('executeWithLock runs the callback holding the lock and returns its result', async () => {
    const m = manager();
    const name = unique('exec');
    const result = await m.executeWithLock(name, async (signal) => {
      expect(signal.aborted).toBe(false);
      expect(await m.isLocked(name)).toBe(true);
      return 42;
    });
    expect(result).toBe(42);
    expect(await m.isLocked(name)).toBe(false);
    await m.close();
  });

  it('executeWithLock refuses a busy lock with LockConflictedError, and releases when the callback throws', async () => {
    const m = manager();
    const name = unique('busy');
    const failure = new Error('job failed');
    await m.executeWithLock(name, async () => {
      await expect(m.executeWithLock(name, () => 'never')).rejects.toThrow(LockConflictedError);
      await expect(m.executeWithLock(name, () => 'never')).rejects.toThrow(`Could not acquire the "${name}" lock`);
    });
    await expect(m.executeWithLock(name, () => Promise.reject(failure))).rejects.toBe(failure);
    await expect(m.executeWithLock(name, () => { throw failure; })).rejects.toBe(failure);
    expect(await m.isLocked(name)).toBe(false);
    await m.close();
  });

  it('waitAndExecute waits for the holder, and gives up after maxWait with an error naming the wait', async () => {
    const m = manager();
    const name = unique('wait');
    const holder = m.createLock(name);
    await holder.acquire();
    setTimeout(() => void holder.release(), 100);
    const started = performance.now();
    expect(await m.waitAndExecute(name, () => 'ran', { maxWait: 2_000 })).toBe('ran');
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    await holder.acquire();
    await expect(m.waitAndExecute(name, () => 'never', { maxWait: 80 })).rejects.toThrow(`Could not acquire the "${name}" lock within 80 ms.`);
    await holder.release();
    await m.close();
  });

  it('isLocked is right on every call while another process holds and then releases', async () => {
    const m = manager();
    const name = unique('probe');
    if (child) {
      const other = new LockHolder();
      expect((await other.send({ cmd: 'acquire', ...child, resource: `lockwright:${name}` })).acquired).toBe(true);
      for (let i = 0; i < 5; i++) expect(await m.isLocked(name)).toBe(true);
      await other.send({ cmd: 'release' });
    } else {
      const holder = m.createLock(name);
      await holder.acquire();
      for (let i = 0; i < 5; i++) expect(await m.isLocked(name)).toBe(true);
      await holder.release();
    }
    for (let i = 0; i < 5; i++) expect(await m.isLocked(name)).toBe(false);
    // The probes registered nothing: the lock is free for anyone.
    expect(await m.createLock(name).acquire()).toBe(true);
    await m.close();
  });

  it('counts acquisitions, conflicts, releases and durations in metrics()', async () => {
    const m = manager();
    const name = unique('metrics');
    await m.executeWithLock(name, async () => {
      await m.executeWithLock(name, () => 0).catch(() => undefined);
      await sleep(20);
    });
    const metrics = m.metrics();
    expect(metrics.acquired).toBe(1);
    expect(metrics.conflicts).toBe(1);
    expect(metrics.released).toBe(1);
    expect(metrics.holdDurationMs.count).toBe(1);
    expect(metrics.holdDurationMs.p50).toBeGreaterThanOrEqual(15);
    expect(metrics.acquireLatencyMs.count).toBe(2);
    expect(metrics.conflictsByResource).toEqual([{ resource: `lockwright:${name}`, count: 1 }]);
    await m.close();
  });
});

describe('LockManager', () => {
  it("prefixes names with the store's prefix when it has one, else the manager's: never both", () => {
    const m = new LockManager({ prefix: 'app:', default: 'memory', stores: { memory: { driver: 'memory', prefix: 'm:' } } });
    expect(m.createLock('job').key.resource).toBe('m:job');
    expect(new LockManager({ prefix: 'app:', default: 'memory' }).createLock('job').key.resource).toBe('app:job');
    expect(() => m.createLock('')).toThrow(InvalidArgumentError);
  });

  it('waitAndExecute on a store that cannot wait keeps trying until maxWait, however many attempts that takes', async () => {
    // A real InMemoryStore behind a wrapper without waitAndSave (a store that cannot
    // wait, as CombinedStore), counting the conflicts it answers; the holder lets go
    // after the 25th: far more attempts than any retry count (Glueful's default was 10).
    class CountingStore implements PersistingStore {
      readonly #inner = new InMemoryStore();
      conflicts = 0;
      onConflict: (() => void) | null = null;
      async save(key: Key): Promise<void> {
        try {
          await this.#inner.save(key);
        } catch (error) {
          this.conflicts++;
          this.onConflict?.();
          throw error;
        }
      }
      delete = (key: Key) => this.#inner.delete(key);
      exists = (key: Key) => this.#inner.exists(key);
      putOffExpiration = (key: Key, ttl: number) => this.#inner.putOffExpiration(key, ttl);
    }
    const store = new CountingStore();
    const m = new LockManager({ default: 'x', stores: { x: { driver: 'custom', store } }, retry: { delay: '10ms', maxWait: '20s' } });
    const holder = m.createLock('retry');
    await holder.acquire();
    store.onConflict = () => {
      if (store.conflicts === 25) void holder.release();
    };
    expect(await m.waitAndExecute('retry', () => 'ran')).toBe('ran');
    expect(store.conflicts).toBeGreaterThanOrEqual(25);

    // And it gives up only once maxWait has passed (a lower bound: timers never fire early).
    store.onConflict = null;
    await holder.acquire();
    const started = performance.now();
    await expect(m.waitAndExecute('retry', () => 1, { maxWait: '400ms' })).rejects.toThrow('within 400 ms');
    expect(performance.now() - started).toBeGreaterThanOrEqual(395);
    await holder.release();
    await m.close();
  });

  it('gives the callback a signal that aborts when the lock is lost, and keeps it refreshed', async () => {
    // Events, not windows: the callback waits for the refresh events of its own lock,
    // checks that they carried it past several TTLs, then has the lock deleted behind its
    // back and waits for the abort. Without auto-refresh there are no refresh events and
    // the lock expires at its first TTL (the signal aborts with LockExpiredError).
    const store = new InMemoryStore();
    const m = new LockManager({ default: 'x', stores: { x: { driver: 'custom', store } }, metrics: false });
    const refreshes: Array<{ lock: Lock; at: number }> = [];
    let onRefresh: (() => void) | null = null;
    const listener = (message: unknown) => {
      const { lock, resource } = message as RefreshMessage;
      if (resource !== 'lockwright:refreshed') return;
      refreshes.push({ lock, at: performance.now() });
      onRefresh?.();
    };
    diagnostics.subscribe(channelNames.refresh, listener);
    const ttl = 600;
    try {
      const outcome = await m.executeWithLock(
        'refreshed',
        async (signal) => {
          const started = performance.now();
          const lock = refreshes[0]!.lock; // the refresh that followed the acquisition
          const expiryAt = () => Date.now() + lock.getRemainingLifetime()!;
          const firstExpiry = expiryAt();
          // Four more refreshes: the lock is carried well past one TTL.
          await new Promise<void>((resolve, reject) => {
            signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
            onRefresh = () => refreshes.length >= 5 && resolve();
          });
          expect(performance.now() - started).toBeGreaterThan(ttl);
          expect(signal.aborted).toBe(false);
          expect(lock.isExpired()).toBe(false);
          expect(expiryAt() - firstExpiry).toBeGreaterThan(ttl);
          expect(await lock.isAcquired()).toBe(true);
          // Lost: someone with the token deletes it; the next refresh finds out.
          const reason = new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
          await store.delete(Key.fromJSON(lock.key.toJSON()));
          return reason;
        },
        { ttl },
      );
      expect(outcome).toBeInstanceOf(LockConflictedError);
    } finally {
      diagnostics.unsubscribe(channelNames.refresh, listener);
    }
  });

  it('rejects bad arguments with typed errors', async () => {
    const m = new LockManager({ default: 'memory' });
    await expect(m.executeWithLock('x', 'not a function' as never)).rejects.toThrow(InvalidArgumentError);
    await expect(m.waitAndExecute('x', () => 1, { maxWait: -1 })).rejects.toThrow(/maxWait/);
    expect(() => new LockManager({ metrics: false }).metrics()).toThrow(/metrics: false/);
  });

  it('reads its configuration from the environment', () => {
    const m = LockManager.fromEnv({ LOCK_DRIVER: 'memory', LOCK_PREFIX: 'env:', LOCK_TTL: '12' });
    expect(m.config.default).toBe('memory');
    expect(m.createLock('a').key.resource).toBe('env:a');
    expect(m.config.ttl).toBe(12_000);
  });
});
