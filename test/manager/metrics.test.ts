// LockManager metrics and close() (issue 9, items 18 and 21): lost and expired holdings,
// wait times, percentiles and the mean of the histograms, the bound on per-resource
// conflict counts, and close() really closing the connections a DSN store opened.
import { describe, expect, it } from 'vitest';
import diagnostics from 'node:diagnostics_channel';
import { InMemoryStore, Key, Lock, LockConflictedError, LockExpiredError, channelNames, channels } from '../../src/index.js';
import { Histogram } from '../../src/manager/histogram.js';
import { LockManager } from '../../src/manager/lock-manager.js';
import { TopCounts } from '../../src/manager/top-counts.js';
import { RedisServer, ready } from '../helpers/redis-server.js';

const memoryManager = (store = new InMemoryStore()) => new LockManager({ default: 'x', stores: { x: { driver: 'custom', store } }, prefix: '' });
const aborted = (signal: AbortSignal) => new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));

describe('Histogram', () => {
  it('gives percentiles within its bucket precision (12.5%), the exact mean and the max', () => {
    const h = new Histogram();
    for (let ms = 1; ms <= 100; ms++) h.record(ms);
    const d = h.snapshot();
    expect(d.count).toBe(100);
    expect(d.mean).toBeCloseTo(50.5, 9);
    expect(d.max).toBe(100);
    for (const [p, exact] of [[d.p50, 50], [d.p90, 90], [d.p99, 99]] as const) {
      expect(p).toBeGreaterThanOrEqual(exact);
      expect(p).toBeLessThanOrEqual(exact * 1.125);
    }
    expect(new Histogram().snapshot()).toEqual({ count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });

  it('ignores samples that are not durations', () => {
    const h = new Histogram();
    for (const bad of [-1, Number.NaN, Infinity]) h.record(bad);
    h.record(5);
    expect(h.snapshot()).toMatchObject({ count: 1, mean: 5, max: 5 });
  });

  it('places samples of any size, from 0 to the largest double, in its buckets', () => {
    const h = new Histogram();
    for (const ms of [0, 0.0004, 71 * 60_000, 2 ** 40, Number.MAX_VALUE]) h.record(ms);
    const d = h.snapshot();
    expect(d.count).toBe(5);
    expect(d.max).toBe(Number.MAX_VALUE);
    expect(h.percentile(40)).toBe(0); // 0 and 0.4 µs round to the 0 µs bucket
    expect(h.percentile(60)).toBeGreaterThanOrEqual(71 * 60_000);
    expect(h.percentile(60)).toBeLessThanOrEqual(71 * 60_000 * 1.125);
    expect(h.percentile(100)).toBe(Number.MAX_VALUE);
  });
});

describe('TopCounts', () => {
  it('stays within its capacity however many resources conflict, keeping the heaviest on top', () => {
    const top = new TopCounts(100);
    for (let i = 0; i < 200; i++) top.add('hot');
    for (let i = 0; i < 5_000; i++) top.add(`cold-${i}`);
    expect(top.size).toBe(100);
    // Space-saving keeps every key seen more than total/capacity times, counted exactly.
    expect(top.top(1)).toEqual([{ resource: 'hot', count: 200 }]);
  });
});

describe('LockManager metrics', () => {
  it('counts a lock lost behind its back, with its hold duration', async () => {
    const store = new InMemoryStore();
    const m = memoryManager(store);
    const lock = m.createLock('lost', { ttl: 300, autoRefresh: true });
    await lock.acquire();
    const reason = aborted(lock.signal);
    await store.delete(Key.fromJSON(lock.key.toJSON()));
    expect(await reason).toBeInstanceOf(LockConflictedError);
    const metrics = m.metrics();
    expect(metrics.lost).toBe(1);
    expect(metrics.expired).toBe(0);
    expect(metrics.holdDurationMs.count).toBe(metrics.released + metrics.lost);
    await m.close();
  });

  it('counts a lock that expired while held as expired and lost', async () => {
    const m = memoryManager();
    const lock = m.createLock('expired', { ttl: 100 });
    await lock.acquire();
    expect(await aborted(lock.signal)).toBeInstanceOf(LockExpiredError);
    const metrics = m.metrics();
    expect(metrics).toMatchObject({ acquired: 1, lost: 1, expired: 1, released: 0 });
    expect(metrics.holdDurationMs.count).toBe(1);
    expect(metrics.holdDurationMs.mean).toBeGreaterThanOrEqual(99); // held until its lifetime ran out
    await m.close();
  });

  it('records how long blocking acquisitions waited, and the mean hold duration', async () => {
    const m = memoryManager();
    const holder = m.createLock('waited');
    await holder.acquire();
    const waiting = m.waitAndExecute('waited', () => 'ran', { maxWait: '10s' });
    await new Promise((r) => setTimeout(r, 200));
    await holder.release();
    expect(await waiting).toBe('ran');
    await expect(m.waitAndExecute('never', () => 0, { maxWait: 0 })).resolves.toBe(0); // free: no wait
    const metrics = m.metrics();
    expect(metrics.waitTimeMs.count).toBe(2);
    expect(metrics.waitTimeMs.max).toBeGreaterThanOrEqual(195);
    expect(metrics.waitTimeMs.mean).toBeGreaterThanOrEqual(195 / 2);
    expect(metrics.holdDurationMs.count).toBe(3);
    expect(metrics.holdDurationMs.mean).toBeGreaterThanOrEqual(195 / 3); // the holder held ≥ 200 ms
    expect(metrics.holdDurationMs.mean).toBeLessThanOrEqual(metrics.holdDurationMs.max);
    await m.close();
  });

  it('ranks conflicts by resource and returns at most 20', async () => {
    const m = memoryManager();
    const holders = [];
    for (let r = 0; r < 25; r++) {
      const holder = m.createLock(`busy-${r}`);
      await holder.acquire();
      holders.push(holder);
      for (let i = 0; i <= r; i++) expect(await m.createLock(`busy-${r}`).acquire()).toBe(false);
    }
    const ranked = m.metrics().conflictsByResource;
    expect(ranked).toHaveLength(20);
    expect(ranked[0]).toEqual({ resource: 'busy-24', count: 25 });
    expect(ranked[19]).toEqual({ resource: 'busy-5', count: 6 });
    expect(m.metrics().conflicts).toBe((25 * 26) / 2);
    for (const holder of holders) await holder.release();
    await m.close();
  });
});

describe('LockManager metrics without the diagnostics channels', () => {
  it('are told by its own locks: collecting subscribes to no channel, and other locks stay unobserved', async () => {
    const store = new InMemoryStore();
    const m = memoryManager(store);
    // A manager collecting metrics leaves every channel without subscribers: the locks
    // of the rest of the process build no messages on its account.
    for (const channel of [channels.conflict, channels.release, channels.lost, channels.expired, channels.acquire.start, channels.acquire.asyncEnd]) {
      expect(channel.hasSubscribers).toBe(false);
    }
    const other = new Lock(new Key('not-the-managers'), store);
    expect(await other.acquire()).toBe(true);
    await other.release();
    const mine = m.createLock('mine');
    expect(await mine.acquire()).toBe(true);
    expect(await m.createLock('mine').acquire()).toBe(false);
    await mine.release();
    expect(m.metrics()).toMatchObject({ acquired: 1, conflicts: 1, released: 1, lost: 0, expired: 0 });
    expect(m.metrics().acquireLatencyMs.count).toBe(2);
    await m.close();
  });

  it('count the same with a channel subscriber beside them, and nothing after close()', async () => {
    const m = memoryManager();
    const seen: string[] = [];
    const onConflict = () => seen.push('conflict');
    const onRelease = () => seen.push('release');
    const onAcquireEnd = (message: unknown) => seen.push(`acquired:${(message as { result?: boolean }).result}`);
    diagnostics.subscribe(channelNames.conflict, onConflict);
    diagnostics.subscribe(channelNames.release, onRelease);
    diagnostics.subscribe('tracing:lockwright:lock:acquire:asyncEnd', onAcquireEnd);
    try {
      const holder = m.createLock('shared-view');
      expect(await holder.acquire()).toBe(true);
      await expect(m.createLock('shared-view').acquire({ timeout: 0 })).resolves.toBe(false);
      await holder.release();
      expect(seen).toEqual(['acquired:true', 'conflict', 'acquired:false', 'release']);
      expect(m.metrics()).toMatchObject({ acquired: 1, conflicts: 1, released: 1 });
      expect(m.metrics().waitTimeMs.count).toBe(1); // the timed acquire was a blocking one
      await m.close();
      expect(await holder.acquire()).toBe(true);
      await holder.release();
      expect(m.metrics()).toMatchObject({ acquired: 1, conflicts: 1, released: 1 });
    } finally {
      diagnostics.unsubscribe(channelNames.conflict, onConflict);
      diagnostics.unsubscribe(channelNames.release, onRelease);
      diagnostics.unsubscribe('tracing:lockwright:lock:acquire:asyncEnd', onAcquireEnd);
    }
  });
});

describe('LockManager.close()', () => {
  it('closes the connections its Redis store opened (the server sees them go)', async () => {
    const server = await RedisServer.start();
    const admin = await ready(server.client());
    const clients = async () => String(await admin.call('CLIENT', 'LIST')).trim().split('\n').length;
    try {
      expect(await clients()).toBe(1); // the admin connection
      const m = new LockManager({ default: 'r', stores: { r: { driver: 'redis', url: server.url } }, metrics: false });
      expect(await m.executeWithLock('job', () => 'done')).toBe('done');
      const holder = m.createLock('wait');
      await holder.acquire();
      const waiting = m.waitAndExecute('wait', () => 'waited', { maxWait: '10s' }); // a notified wait subscribes
      setTimeout(() => void holder.release(), 100);
      expect(await waiting).toBe('waited');
      expect(await clients()).toBeGreaterThan(1);
      await m.close();
      await expect.poll(clients, { timeout: 10_000, interval: 50 }).toBe(1);
    } finally {
      admin.disconnect();
      await server.stop();
    }
  });
});
