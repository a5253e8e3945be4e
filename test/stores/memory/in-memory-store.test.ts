import { describe, expect, it } from 'vitest';
import { InMemoryStore, InvalidTtlError, Key, LockFactory } from '../../../src/index.js';
import { runConformance } from '../../conformance/index.js';

const shared = new InMemoryStore();

runConformance({
  name: 'InMemoryStore',
  expect: { blocking: true, shared: true, blockingShared: true, expiring: true },
  makeStore: () => shared,
  expiring: { makeStoreWithInitialTtl: (initialTtl) => new InMemoryStore({ initialTtl }) },
});

describe('InMemoryStore waits, first come first served', () => {
  const tick = () => new Promise((r) => setImmediate(r));

  it('hands the lock to waiting tasks in the order they started waiting', async () => {
    const factory = new LockFactory(new InMemoryStore());
    const holder = factory.createLock('fifo');
    await holder.acquire();
    const order: number[] = [];
    const tasks: Array<Promise<void>> = [];
    for (let i = 0; i < 8; i++) {
      const lock = factory.createLock('fifo');
      tasks.push(
        lock.acquire(true).then(async () => {
          order.push(i);
          await tick();
          await lock.release();
        }),
      );
      await tick(); // task i is queued before task i + 1 starts
    }
    await holder.release();
    await Promise.all(tasks);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('never lets a task that releases and re-acquires at once run twice while others wait', async () => {
    const factory = new LockFactory(new InMemoryStore());
    const owners: number[] = [];
    const worker = async (id: number) => {
      const lock = factory.createLock('turns');
      for (let section = 0; section < 50; section++) {
        await lock.acquire(true);
        owners.push(id);
        await lock.release();
      }
    };
    await Promise.all([0, 1, 2, 3].map(worker));
    expect(owners).toHaveLength(200);
    const counts = [0, 1, 2, 3].map((id) => owners.filter((o) => o === id).length);
    expect(counts).toEqual([50, 50, 50, 50]);
    // Once all four are queued, turns rotate: no owner twice in a row.
    for (let i = 4; i < owners.length; i++) expect(owners[i]).not.toBe(owners[i - 1]);
  });

  it('does not let a try or a reader overtake a queued writer', async () => {
    const store = new InMemoryStore();
    const reader = new Key('queue-jump');
    await store.saveRead(reader);
    const writer = new Key('queue-jump');
    const writing = store.waitAndSave(writer);
    await tick();
    // A second reader would starve the writer: it waits its turn (a try is refused).
    await expect(store.saveRead(new Key('queue-jump'))).rejects.toThrow(/held by another owner/);
    const lateReader = new Key('queue-jump');
    let lateGranted = false;
    const lateReading = store.waitAndSaveRead(lateReader).then(() => (lateGranted = true));
    await store.delete(reader);
    await writing;
    expect(await store.exists(writer)).toBe(true);
    await tick();
    expect(lateGranted).toBe(false);
    await store.delete(writer);
    await lateReading;
    expect(await store.exists(lateReader)).toBe(true);
    await store.delete(lateReader);
  });

  it('wakes a waiter when the holder expires, and leaves the queue on timeout or abort', async () => {
    const store = new InMemoryStore({ initialTtl: '100ms' });
    const holder = new Key('expiring-holder');
    await store.save(holder);
    const waiter = new Key('expiring-holder');
    await store.waitAndSave(waiter, { timeout: 10_000 });
    expect(await store.exists(waiter)).toBe(true);
    const blocked = new Key('expiring-holder');
    await store.putOffExpiration(waiter, 60_000);
    await expect(store.waitAndSave(blocked, { timeout: 50 })).rejects.toThrow(/Timed out after 50 ms/);
    const controller = new AbortController();
    const aborted = store.waitAndSave(blocked, { signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    await store.delete(waiter);
    // Nobody is left queued: a try gets the free lock at once.
    await store.save(blocked);
    await store.delete(blocked);
  });
});

describe('InMemoryStore', () => {
  it('keeps separate instances separate', async () => {
    const key = new Key('separate');
    await new InMemoryStore().save(key);
    await new InMemoryStore().save(new Key('separate'));
    expect(await new InMemoryStore().exists(key)).toBe(false);
  });

  it('rejects a bad initialTtl with a typed error naming it', () => {
    for (const bad of [0, -5, Number.NaN, Infinity, '10', {}]) {
      expect(() => new InMemoryStore({ initialTtl: bad as number })).toThrow(InvalidTtlError);
      expect(() => new InMemoryStore({ initialTtl: bad as number })).toThrow(/initialTtl/);
    }
  });

  it('lets a key that was handed over (toJSON/fromJSON) release the lock', async () => {
    const store = new InMemoryStore();
    const key = new Key('hand-over');
    await store.save(key);
    const received = Key.fromJSON(JSON.parse(JSON.stringify(key)));
    expect(await store.exists(received)).toBe(true);
    await store.delete(received);
    expect(await store.exists(key)).toBe(false);
  });
});
