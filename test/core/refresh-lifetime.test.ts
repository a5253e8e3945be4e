// The client-side lifetime during a refresh (issue 9, item 1): it moves forward only on a
// confirmed store reply, measured from when the request left; a failed refresh never
// extends it; and `signal` aborts at the local expiry while the store says nothing.
// The store is a real InMemoryStore whose putOffExpiration waits at a gate the test opens.
import { describe, expect, it } from 'vitest';
import { lifetimeAccess } from '../../src/core/key.js';
import { InMemoryStore, Key, LockAcquiringError, LockConflictedError, LockExpiredError, LockFactory, LockStorageError } from '../../src/index.js';

/** A gate the test opens: until then, putOffExpiration for `key` waits before reaching the store. */
class GatedStore extends InMemoryStore {
  #key: Key | null = null;
  #gate: Promise<void> | null = null;
  #open: (() => void) | null = null;
  #failure: Error | null = null;
  /** Resolves when a putOffExpiration reached the gate (the request was sent). */
  arrived: Promise<void> = new Promise(() => {});
  #arrived: () => void = () => {};

  close(key: Key, failure: Error | null = null): void {
    this.#key = key;
    this.#gate = new Promise((resolve) => (this.#open = resolve));
    this.#failure = failure;
    this.arrived = new Promise((resolve) => (this.#arrived = resolve));
  }

  open(): void {
    const open = this.#open;
    this.#gate = null;
    this.#open = null;
    open?.();
  }

  override async putOffExpiration(key: Key, ttl: number): Promise<void> {
    const gate = key === this.#key ? this.#gate : null;
    const failure = this.#failure;
    if (gate) {
      this.#arrived();
      await gate;
      if (failure) throw failure;
    }
    return super.putOffExpiration(key, ttl);
  }
}

/** The absolute expiry the lock believes in (ms since the epoch), read exactly. */
function expiryOf(key: Key): number {
  const expiresAt = lifetimeAccess.expiresAt(key);
  expect(expiresAt).not.toBeNull();
  return expiresAt!;
}

const aborted = (signal: AbortSignal) => new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));

describe('Lock lifetime during a refresh', () => {
  it('keeps the old lifetime while a refresh is in flight, then counts the new one from when it was sent', async () => {
    const store = new GatedStore();
    const lock = new LockFactory(store).createLock('in-flight', { ttl: 5_000 });
    expect(await lock.acquire()).toBe(true);
    const before = expiryOf(lock.key);
    store.close(lock.key);
    const refreshing = lock.refresh(600_000);
    const sentBy = Date.now(); // refresh() sends synchronously, so the send was no later
    await store.arrived;
    // In flight: the lock must not claim the requested ten minutes yet.
    expect(expiryOf(lock.key)).toBe(before);
    await new Promise((r) => setTimeout(r, 50)); // the reply takes a while
    store.open();
    await refreshing;
    // Confirmed: 600 s from the send, not from the reply.
    expect(expiryOf(lock.key)).toBeLessThanOrEqual(sentBy + 600_000);
    expect(lock.getRemainingLifetime()!).toBeGreaterThan(500_000);
    await lock.release();
  });

  it('leaves the lifetime exactly as it was when the refresh fails, however long the failure took', async () => {
    const store = new GatedStore();
    const lock = new LockFactory(store).createLock('failed-refresh', { ttl: 60_000 });
    expect(await lock.acquire()).toBe(true);
    for (let round = 0; round < 3; round++) {
      const before = expiryOf(lock.key);
      store.close(lock.key, new LockStorageError('backend unreachable'));
      const refreshing = lock.refresh().catch((e: unknown) => e);
      await store.arrived;
      await new Promise((r) => setTimeout(r, 40));
      store.open();
      expect(await refreshing).toBeInstanceOf(LockAcquiringError);
      // Never later than before (the old code re-applied a duration measured before the await).
      expect(expiryOf(lock.key)).toBe(before);
    }
    expect(lock.signal.aborted).toBe(false);
    await lock.release();
  });

  it('aborts the signal at the local expiry while a refresh hangs, and the late reply does not revive the lock', async () => {
    const store = new GatedStore();
    const factory = new LockFactory(store);
    const lock = factory.createLock('hung-refresh', { ttl: 300 });
    expect(await lock.acquire()).toBe(true);
    const signal = lock.signal;
    const abortedWith = aborted(signal);
    store.close(lock.key);
    const refreshing = lock.refresh(60_000).catch((e: unknown) => e);
    await store.arrived;
    // The store never answers; the signal still aborts, by the lock's own clock.
    const reason = await abortedWith;
    expect(reason).toBeInstanceOf(LockExpiredError);
    expect(lock.isExpired()).toBe(true);
    // The store's lock runs out no earlier (its lifetime began at the same send or
    // later): another owner gets it then.
    const rival = factory.createLock('hung-refresh', { ttl: 60_000 });
    expect(await rival.acquire({ timeout: 5_000 })).toBe(true);
    store.open();
    expect(await refreshing).toBeInstanceOf(LockConflictedError);
    expect(lock.signal.aborted).toBe(true);
    expect(await rival.isAcquired()).toBe(true);
    await rival.release();
  });

  it('aborts at the local expiry of a lock nobody refreshes', async () => {
    const lock = new LockFactory(new InMemoryStore()).createLock('unrefreshed', { ttl: 200 });
    expect(await lock.acquire()).toBe(true);
    expect(await aborted(lock.signal)).toBeInstanceOf(LockExpiredError);
  });
});
