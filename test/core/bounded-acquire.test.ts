// Every acquire honours `timeout` and `signal` from its first instant (issue 9, item 3),
// whatever the store does with them: the stores here are real InMemoryStores whose first
// save (or wait) hangs until the test opens a gate, like a first try behind a silent
// server. When the hung call finally takes the lock, the Lock gives it back.
import { describe, expect, it } from 'vitest';
import { InMemoryStore, Key, LockFactory, type BlockingStore, type PersistingStore, type WaitOptions } from '../../src/index.js';

class Gate {
  #open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.#open = resolve));
  #reached!: () => void;
  /** Resolves when a store call is waiting at the gate. */
  readonly reached = new Promise<void>((resolve) => (this.#reached = resolve));
  async pass(): Promise<void> {
    this.#reached();
    await this.opened;
  }
  open(): void {
    this.#open();
  }
}

/**
 * Saves wait at the gate, then go to a real InMemoryStore. It has no waitAndSave (the
 * store type the Lock polls), so it wraps the store instead of extending it.
 */
class HangingStore implements PersistingStore {
  readonly inner = new InMemoryStore();
  gate: Gate | null = null;
  async save(key: Key): Promise<void> {
    await this.gate?.pass();
    return this.inner.save(key);
  }
  delete = (key: Key) => this.inner.delete(key);
  exists = (key: Key) => this.inner.exists(key);
  putOffExpiration = (key: Key, ttl: number) => this.inner.putOffExpiration(key, ttl);
}

/** A blocking store whose wait ignores its timeout and signal and hangs at the gate. */
class DeafBlockingStore extends HangingStore implements BlockingStore {
  async waitAndSave(key: Key, _options?: WaitOptions): Promise<void> {
    await this.gate?.pass();
    return this.inner.save(key);
  }
}

/** True once `key`'s resource is free in `store`: a fresh key can take it. */
async function isFree(store: HangingStore, resource: string): Promise<boolean> {
  const probe = new Key(resource);
  try {
    await store.inner.save(probe);
  } catch {
    return false;
  }
  await store.inner.delete(probe);
  return true;
}

describe.each([
  { name: 'a polling store', make: () => new HangingStore() },
  { name: 'a blocking store that ignores its wait options', make: () => new DeafBlockingStore() },
])('acquire on $name whose first call hangs', ({ make }) => {
  it('returns false when the timeout runs out, and gives back what the late call took', async () => {
    const store = make();
    const gate = (store.gate = new Gate());
    const lock = new LockFactory(store).createLock('bounded-timeout');
    const started = performance.now();
    expect(await lock.acquire({ timeout: 200 })).toBe(false);
    expect(performance.now() - started).toBeLessThan(5_000); // generous: bounded, not hung
    await gate.reached;
    expect(await lock.isAcquired()).toBe(false);
    store.gate = null;
    gate.open();
    // The late save took the lock; the Lock deletes it as soon as it learns of it.
    await expect.poll(() => isFree(store, 'bounded-timeout'), { timeout: 5_000 }).toBe(true);
    expect(await lock.isAcquired()).toBe(false);
  }, 10_000);

  it('rejects with the abort reason, and gives back what the late call took', async () => {
    const store = make();
    const gate = (store.gate = new Gate());
    const lock = new LockFactory(store).createLock('bounded-abort');
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const acquiring = lock.acquire({ signal: controller.signal });
    await gate.reached;
    controller.abort(reason);
    await expect(acquiring).rejects.toBe(reason);
    store.gate = null;
    gate.open();
    await expect.poll(() => isFree(store, 'bounded-abort'), { timeout: 5_000 }).toBe(true);
  }, 10_000);

  it('keeps the lock when it acquires again before the late call succeeds', async () => {
    const store = make();
    const gate = (store.gate = new Gate());
    const lock = new LockFactory(store).createLock('bounded-again');
    expect(await lock.acquire({ timeout: 100 })).toBe(false);
    store.gate = null;
    expect(await lock.acquire()).toBe(true); // the same key: the late call is this owner's too
    gate.open();
    await gate.opened;
    await new Promise((r) => setImmediate(r));
    expect(await lock.isAcquired()).toBe(true);
    expect(await isFree(store, 'bounded-again')).toBe(false);
    await lock.release();
  }, 10_000);
});
