// CombinedStore: one lock over several stores, held when a strategy's quorum of them
// agrees (Symfony's CombinedStore). Unlike Symfony, the stores are asked in parallel:
// the outcome is the same (a failure, a throw included, counts against the quorum, and
// a save that misses it is rolled back everywhere), but it costs one round trip, not N.
import { InvalidArgumentError, LockConflictedError, describeValue } from '../../core/errors.js';
import { setFencingToken } from '../../core/fencing.js';
import type { Key } from '../../core/key.js';
import type { Logger } from '../../core/lock.js';
import { isSharedLockStore, type PersistingStore, type SharedLockStore } from '../../core/store.js';
import { checkNotExpired } from '../expiring.js';
import type { Strategy } from './strategies.js';

interface Outcome {
  successes: number;
  /** Failures that were LockConflictedError: another owner holds it there. */
  conflicts: number;
}

export interface CombinedStoreOptions {
  logger?: Logger;
}

export class CombinedStore implements SharedLockStore {
  readonly stores: readonly PersistingStore[];
  readonly strategy: Strategy;
  readonly #logger: Logger | undefined;

  constructor(stores: PersistingStore[], strategy: Strategy, options: CombinedStoreOptions = {}) {
    if (!Array.isArray(stores)) {
      throw new InvalidArgumentError(`CombinedStore needs an array of stores; got ${describeValue(stores)}.`);
    }
    if (stores.length === 0) {
      throw new InvalidArgumentError(
        'CombinedStore needs at least one store (typically three or five independent Redis servers); got an empty array.',
      );
    }
    stores.forEach((store, i) => {
      if (typeof store !== 'object' || store === null || typeof store.save !== 'function') {
        throw new InvalidArgumentError(`CombinedStore: stores[${i}] is not a store; got ${describeValue(store)}.`);
      }
    });
    if (typeof strategy?.isMet !== 'function' || typeof strategy.canBeMet !== 'function') {
      throw new InvalidArgumentError(
        `CombinedStore needs a strategy (ConsensusStrategy or UnanimousStrategy); got ${describeValue(strategy)}.`,
      );
    }
    this.stores = [...stores];
    this.strategy = strategy;
    this.#logger = options.logger;
  }

  save(key: Key): Promise<void> {
    return this.#acquire(key, (store) => store.save(key));
  }

  /** Read locks where a sub-store has them, write locks on the others. */
  saveRead(key: Key): Promise<void> {
    return this.#acquire(key, (store) => (isSharedLockStore(store) ? store.saveRead(key) : store.save(key)));
  }

  async putOffExpiration(key: Key, ttl: number): Promise<void> {
    const expiresAt = Date.now() + ttl;
    const outcome = await this.#count((store) => {
      const left = expiresAt - Date.now();
      if (left <= 0) {
        key.reduceLifetime(0);
        return Promise.reject(new Error('The stores took longer than the TTL.'));
      }
      return store.putOffExpiration(key, left);
    }, 'put off the expiration of');
    await this.#settle(key, outcome, 'define the expiration for');
  }

  async delete(key: Key): Promise<void> {
    await this.#count((store) => store.delete(key), 'delete');
  }

  async exists(key: Key): Promise<boolean> {
    let successes = 0;
    await Promise.all(
      this.stores.map(async (store) => {
        try {
          if (await store.exists(key)) successes++;
        } catch (error) {
          this.#log('debug', `One store failed to check the "${key.resource}" lock.`, key, error);
        }
      }),
    );
    return this.strategy.isMet(successes, this.stores.length);
  }

  async #acquire(key: Key, save: (store: PersistingStore) => Promise<void>): Promise<void> {
    const outcome = await this.#count(save, 'save');
    // Fencing tokens of independent servers do not order holders: there is none here.
    setFencingToken(key, null);
    await this.#settle(key, outcome, 'store');
  }

  /**
   * Symfony's ending: an expired key is deleted everywhere (LockExpiredError), a missed
   * quorum rolled back (LockConflictedError). When stores said another owner holds the
   * lock and the quorum is missed, that conflict is the answer even if the key expired
   * meanwhile: "taken over" tells more than "too late".
   */
  async #settle(key: Key, { successes, conflicts }: Outcome, what: string): Promise<void> {
    const met = this.strategy.isMet(successes, this.stores.length);
    if (met || conflicts === 0) await checkNotExpired(this, key);
    if (met) return;
    this.#log('info', `Failed to ${what} the "${key.resource}" lock. Quorum has not been met.`, key);
    await this.delete(key);
    throw new LockConflictedError(`Failed to ${what} the "${key.resource}" lock: quorum not met.`);
  }

  /** Runs `action` on every store at once; a throw is a failure. */
  async #count(action: (store: PersistingStore) => Promise<void>, what: string): Promise<Outcome> {
    // async: a store that throws synchronously is a failure like any other.
    const results = await Promise.allSettled(this.stores.map(async (store) => action(store)));
    const outcome: Outcome = { successes: 0, conflicts: 0 };
    for (const result of results) {
      if (result.status === 'fulfilled') outcome.successes++;
      else {
        if (result.reason instanceof LockConflictedError) outcome.conflicts++;
        this.#log('debug', `One store failed to ${what} the lock.`, undefined, result.reason);
      }
    }
    return outcome;
  }

  #log(level: keyof Logger, message: string, key?: Key, error?: unknown): void {
    const context: Record<string, unknown> = {};
    if (key) context.resource = key.resource;
    if (error !== undefined) context.error = error;
    this.#logger?.[level]?.(message, context);
  }
}
