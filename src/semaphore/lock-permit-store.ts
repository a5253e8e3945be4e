// LockPermitStore: a semaphore of N permits as N slot locks on any lock store (Symfony
// 8.1's LockStore), so that FlockStore, the SQL stores and the others give semaphores
// too. A holder of weight w takes w slots `<resource>_0 … <resource>_{N-1}` with
// non-blocking acquisitions, starting at a random slot so that holders spread; it gives
// back what it took when it cannot get w. The slot names are Symfony's, so a PHP
// LockStore over the same lock store counts against the same N.
//
// No native wait: a blocking Semaphore.acquire() on this store retries with a jittered
// delay (a wait on one slot could sleep while another slot frees). The slot Locks live in
// this process, so the key cannot travel (toJSON() refuses it).
import { randomInt } from 'node:crypto';
import { InvalidArgumentError, LockConflictedError, LockReleasingError, SemaphoreExpiredError, describeValue } from '../core/errors.js';
import { Key } from '../core/key.js';
import { reportKeyLost } from '../core/key-loss.js';
import { Lock } from '../core/lock.js';
import type { PersistingStore } from '../core/store.js';
import type { PermitStore } from './permit-store.js';
import type { SemaphoreKey } from './semaphore-key.js';

interface Slots {
  locks: Lock[];
  /** Stops listening to the slots' signals (our own release must not count as a loss). */
  unwatch: () => void;
}

export class LockPermitStore implements PermitStore {
  readonly store: PersistingStore;
  readonly #held = new WeakMap<SemaphoreKey, Slots>();

  constructor(store: PersistingStore) {
    if (typeof store !== 'object' || store === null || typeof (store as Partial<PersistingStore>).save !== 'function') {
      throw new InvalidArgumentError(`LockPermitStore needs a lock store (e.g. from createStore()); got ${describeValue(store)}.`);
    }
    this.store = store;
  }

  async save(key: SemaphoreKey, ttl: number | null): Promise<void> {
    if (this.#held.has(key)) return; // Symfony: saving a held key again does nothing
    key.markUnserializable();
    const taken: Lock[] = [];
    const start = randomInt(key.limit);
    try {
      for (let n = 0; n < key.limit && taken.length < key.weight; n++) {
        const slot = new Lock(new Key(`${key.resource}_${(start + n) % key.limit}`), this.store, { ttl, autoRelease: false });
        if (await slot.acquire()) taken.push(slot);
      }
    } catch (error) {
      await releaseAll(taken);
      throw error;
    }
    if (taken.length < key.weight) {
      await releaseAll(taken);
      throw new LockConflictedError(
        `The "${key.resource}" semaphore has fewer than ${key.weight} of its ${key.limit} permits free (there were no free locks found).`,
      );
    }
    this.#held.set(key, { locks: taken, unwatch: watchSlots(key, taken) });
    reduceToEarliest(key, taken);
  }

  async delete(key: SemaphoreKey): Promise<void> {
    const slots = this.#held.get(key);
    if (!slots) return;
    this.#held.delete(key);
    slots.unwatch();
    const failures = await releaseAll(slots.locks);
    if (failures.length > 0) {
      throw new LockReleasingError(`Failed to release ${failures.length} of the ${slots.locks.length} slot locks of the "${key.resource}" semaphore.`, {
        cause: failures.length === 1 ? failures[0] : new AggregateError(failures),
      });
    }
  }

  async exists(key: SemaphoreKey): Promise<boolean> {
    const slots = this.#held.get(key);
    if (!slots) return false;
    const held = await Promise.all(slots.locks.map((slot) => slot.isAcquired()));
    return held.filter(Boolean).length >= key.weight;
  }

  async putOffExpiration(key: SemaphoreKey, ttl: number): Promise<void> {
    const slots = this.#held.get(key);
    if (!slots) throw new SemaphoreExpiredError(`The semaphore "${key.resource}" has expired: it holds no permits.`);
    try {
      await Promise.all(slots.locks.map((slot) => slot.refresh(ttl)));
    } catch (error) {
      if (error instanceof LockConflictedError || error instanceof SemaphoreExpiredError || isExpired(error)) {
        throw new SemaphoreExpiredError(`The semaphore "${key.resource}" has expired: a slot lock was lost.`, { cause: error });
      }
      throw error;
    }
    reduceToEarliest(key, slots.locks);
  }
}

function isExpired(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'LOCK_EXPIRED';
}

/** The permits live as long as the slot that expires first (no expiry on stores without one). */
function reduceToEarliest(key: SemaphoreKey, slots: Lock[]): void {
  const lifetimes = slots.map((slot) => slot.getRemainingLifetime()).filter((ms): ms is number => ms !== null);
  if (lifetimes.length > 0) key.reduceLifetime(Math.min(...lifetimes));
}

/** A slot lost while held (its session ended, say) is the semaphore's loss. */
function watchSlots(key: SemaphoreKey, slots: Lock[]): () => void {
  const controller = new AbortController();
  for (const slot of slots) {
    const signal = slot.signal;
    signal.addEventListener('abort', () => reportKeyLost(key, signal.reason), { once: true, signal: controller.signal });
  }
  return () => controller.abort();
}

/** Releases every slot; returns the failures (a release that fails is still attempted for the others). */
async function releaseAll(slots: Lock[]): Promise<unknown[]> {
  const outcomes = await Promise.allSettled(slots.map((slot) => slot.release()));
  return outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
}
