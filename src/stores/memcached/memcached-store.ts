// MemcachedStore: Symfony's MemcachedStore (key = resource, value = token; `add` takes,
// `gets`/`cas` refresh and delete without touching another owner's lock), so that PHP
// and Node holders exclude each other, plus what Symfony lacks: waits (polled, as
// Memcached cannot notify: ../wait-queue.ts) and three deliberate differences, each for
// safety:
// - Memcached counts whole seconds on a clock that ticks once a second, so an item given
//   n seconds lives between n-1 and n, and less when the tick runs late (a busy server:
//   0.4 s late was seen on a loaded 2-CPU machine). Symfony sends ceil(ttl); we send two
//   seconds more, so that the server does not free a lock before its holder's key says it
//   expired, even with a tick up to a second late. For
//   the same reason a TTL under a second, which Symfony refuses, is kept: the key expires
//   on time, and the server keeps the item a little longer (at least the 1 s it counts).
// - Memcached reads an exptime above 30 days as a Unix time. Symfony passes the seconds
//   through, which the server takes for a date in 1970: the lock is stored already
//   expired (held by nobody, silently). We send now + ttl as a Unix time instead.
// - Symfony's putOffExpiration re-adds a lock that vanished; a refresh here refuses (the
//   lock vanished: a server restart or eviction, maybe another holder came and went).
import { InvalidArgumentError, InvalidTtlError, LockConflictedError, describeValue } from '../../core/errors.js';
import { validateTimeout, validateTtl } from '../../core/duration.js';
import { markLifetimeApplied, requestedLifetime } from '../../core/lifetime-request.js';
import type { Key } from '../../core/key.js';
import type { BlockingStore, VerifiedDeleteStore, WaitOptions } from '../../core/store.js';
import { checkNotExpired } from '../expiring.js';
import { isMemcachedClient, memcachedOps, storageError, type MemcachedClient, type MemcachedOps } from './client.js';
import { WaitQueues, type Attempt } from '../wait-queue.js';
import { heldByAnother, positiveMs, symfonyToken } from '../key-state.js';

const TOKEN = 'lockwright:memcached:token';
/** Memcached reads larger exptimes as Unix times. */
const MAX_RELATIVE_EXPTIME = 30 * 24 * 3600;

/** Stores whose client was made for them (createStore with a DSN): close() ends it. */
const owningStores = new WeakSet<MemcachedStore>();

export function ownMemcachedClient(store: MemcachedStore): MemcachedStore {
  owningStores.add(store);
  return store;
}

export interface MemcachedStoreOptions {
  /** Lifetime in ms a lock gets when saved, before the Lock's own TTL applies; at least 1,000. Default 300,000. */
  initialTtl?: number;
  /** Pause in ms between two tries of a waiting acquire (Memcached cannot notify). Default 100. */
  pollInterval?: number;
  /** Longest wait in ms for one Memcached command before it fails with LockStorageError. Default 5,000. */
  commandTimeout?: number;
}

const OPTION_NAMES = ['initialTtl', 'pollInterval', 'commandTimeout'];

export class MemcachedStore implements BlockingStore, VerifiedDeleteStore {
  /** delete() only resolves once nothing is held for the key: Lock.release() skips exists(). */
  readonly verifiesDelete = true;
  readonly #client: MemcachedClient;
  readonly #ops: MemcachedOps;
  readonly #initialTtl: number;
  readonly #waits: WaitQueues;

  /** `client`: a `memcached` (2.2.x) client, or anything with its add/get/gets/cas/del. */
  constructor(client: MemcachedClient, options: MemcachedStoreOptions = {}) {
    if (!isMemcachedClient(client)) {
      throw new InvalidArgumentError(
        `MemcachedStore needs a client of the "memcached" package (with add, get, gets, cas and del); got ${describeValue(client)}.`,
      );
    }
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`MemcachedStore options must be an object; got ${describeValue(options)}.`);
    }
    const unknown = Object.keys(options).filter((name) => !OPTION_NAMES.includes(name));
    if (unknown.length > 0) {
      throw new InvalidArgumentError(`Unknown MemcachedStore option "${unknown[0]}" (known: ${OPTION_NAMES.join(', ')}).`);
    }
    this.#client = client;
    this.#initialTtl = options.initialTtl === undefined ? 300_000 : validateTtl(options.initialTtl, 'initialTtl');
    if (this.#initialTtl < 1_000) {
      throw new InvalidTtlError(`initialTtl must be at least 1,000 ms (Memcached counts whole seconds); got ${this.#initialTtl}.`);
    }
    const pollInterval = positiveMs(options.pollInterval ?? 100, 'pollInterval');
    const commandTimeout = positiveMs(options.commandTimeout ?? 5_000, 'commandTimeout');
    this.#ops = memcachedOps(client, commandTimeout);
    // No notifier: Memcached cannot announce a release; only this store's own wake the head.
    this.#waits = new WaitQueues(pollInterval);
  }

  /** A store made by createStore() from a DSN ends its client; a client you passed in stays yours. */
  async close(): Promise<void> {
    if (owningStores.has(this)) this.#client.end?.();
  }

  async save(key: Key): Promise<void> {
    if (!(await this.#trySave(key))) throw heldByAnother(key);
  }

  async waitAndSave(key: Key, options: WaitOptions = {}): Promise<void> {
    if (options.timeout !== undefined) validateTimeout(options.timeout, 'options.timeout');
    options.signal?.throwIfAborted();
    const id = memcachedKey(key);
    // A free lock is taken at once, unless waiters of this process are queued before us.
    if (this.#waits.waiting(id) === 0) {
      if (await this.#trySave(key)) return;
      if (options.timeout === 0) throw new LockConflictedError(`Timed out after 0 ms waiting for the "${key.resource}" lock.`);
    }
    const source = {
      attempt: async (): Promise<Attempt> => {
        // Each try stands for a fresh acquisition: the time spent waiting is not held time.
        key.resetLifetime();
        // Memcached does not say how long the holder's item lives: the poll is pollInterval.
        return (await this.#trySave(key)) ? { granted: true } : { granted: false, retryIn: -1 };
      },
      abandon: () => this.delete(key),
    };
    return this.#waits.wait(id, source, options, `the "${key.resource}" lock`);
  }

  async putOffExpiration(key: Key, ttl: number): Promise<void> {
    await this.#putOff(key, ttl, false);
  }

  async delete(key: Key): Promise<void> {
    const token = key.getState<string | undefined>(TOKEN);
    if (token === undefined) return;
    const name = memcachedKey(key);
    try {
      const current = await this.#ops.gets(name);
      if (current === null || current.value !== token) return; // not ours: nothing to do
      // Symfony's trick: own the key for 2 more seconds by CAS, then delete it. A CAS that
      // fails means someone else changed it: it is not ours any more.
      if (!(await this.#ops.cas(name, token, current.cas, 2))) return;
      await this.#ops.delete(name);
    } catch (error) {
      throw storageError('release', key.resource, error);
    }
    this.#waits.released(name);
  }

  async exists(key: Key): Promise<boolean> {
    const token = key.getState<string | undefined>(TOKEN);
    if (token === undefined) return false;
    try {
      return (await this.#ops.get(memcachedKey(key))) === token;
    } catch (error) {
      throw storageError('check', key.resource, error);
    }
  }

  /** One try: true when saved for `key`. */
  async #trySave(key: Key): Promise<boolean> {
    const name = memcachedKey(key);
    const token = symfonyToken(key, TOKEN);
    // The Lock's own TTL when it says which (one round trip: no refresh after the save).
    const requested = requestedLifetime(key);
    const ttl = requested ?? this.#initialTtl;
    key.reduceLifetime(ttl);
    let added: boolean;
    try {
      added = await this.#ops.add(name, token, exptime(ttl));
    } catch (error) {
      // An add that timed out may still land: the lock then lives its TTL (no longer),
      // held by a key that was told it failed. Giving it back blindly later could free
      // the same key's next, successful acquisition, so it is left to expire.
      throw storageError('acquire', key.resource, error);
    }
    if (!added) {
      // Taken already: maybe by this key (a second save), which then refreshes it.
      try {
        await this.#putOff(key, ttl, true);
      } catch (error) {
        if (error instanceof LockConflictedError) return false;
        throw error;
      }
    }
    await checkNotExpired(this, key);
    if (ttl === requested) markLifetimeApplied(key, ttl);
    return true;
  }

  /** `fromSave`: Symfony's re-add of a vanished key, which only an acquisition may do. */
  async #putOff(key: Key, ttl: number, fromSave: boolean): Promise<void> {
    validateTtl(ttl);
    const name = memcachedKey(key);
    const token = symfonyToken(key, TOKEN);
    try {
      const current = await this.#ops.gets(name);
      key.reduceLifetime(ttl);
      if (current === null) {
        if (fromSave && (await this.#ops.add(name, token, exptime(ttl)))) return;
        throw heldByAnother(key);
      }
      if (current.value !== token) throw heldByAnother(key);
      if (!(await this.#ops.cas(name, token, current.cas, exptime(ttl)))) throw heldByAnother(key);
    } catch (error) {
      if (error instanceof LockConflictedError) throw error;
      throw storageError(fromSave ? 'acquire' : 'refresh', key.resource, error);
    }
    await checkNotExpired(this, key);
  }
}

/**
 * The Memcached key: the resource itself (Symfony). libmemcached, under Symfony's
 * ext-memcached, refuses keys that are not printable ASCII ("A BAD KEY WAS PROVIDED"),
 * which Symfony then reports as a lock held by someone else, forever: such a resource is
 * refused here, so that no lockwright lock exists that a PHP process could never see.
 */
export function memcachedKey(key: Key): string {
  const name = key.resource;
  if (name.length > 250 || /[^\x21-\x7e]/.test(name)) {
    throw new InvalidArgumentError(
      `MemcachedStore cannot lock ${describeValue(name)}: a Memcached key is 1 to 250 printable ASCII characters, without spaces.`,
    );
  }
  return name;
}

/**
 * Memcached exptime for `ttl` ms: whole seconds rounded up as Symfony does, plus two
 * for the server's once-a-second clock and a late tick of it; beyond 30 days, a Unix
 * time (see the top).
 */
/** Seconds added to every exptime: one for the whole-second clock, one for a late tick. */
const CLOCK_MARGIN_S = 2;

export function exptime(ttl: number, now = Date.now()): number {
  const seconds = Math.ceil(ttl / 1_000) + CLOCK_MARGIN_S;
  return seconds > MAX_RELATIVE_EXPTIME ? Math.floor(now / 1_000) + seconds : seconds;
}



