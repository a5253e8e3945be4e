// InMemoryStore: locks inside one store instance, with the semantics of an expiring
// remote store (RedisStore's data model: owner tokens, a write flag, per-holder expiry),
// so applications and tests get the real behaviour without a server.
//
// Waits are first come, first served: waiters queue per resource, a release (or a
// holder's expiry) hands the lock straight to the head of the queue, and a try never
// takes a lock over the heads of queued waiters. Polling with jitter let one task that
// released and re-acquired at once run every section while the others slept.
import { randomBytes } from 'node:crypto';
import { LockConflictedError, describeValue, InvalidArgumentError } from '../../core/errors.js';
import { parseOptionalTtl, validateTimeout, validateTtl, type Duration } from '../../core/duration.js';
import type { Key } from '../../core/key.js';
import { parseOptions } from '../../core/options.js';
import type { BlockingSharedLockStore, WaitOptions } from '../../core/store.js';
import { setLongTimeout } from '../../core/wait.js';
import { checkNotExpired } from '../expiring.js';

const TOKEN = 'lockwright:in-memory:token';

interface Entry {
  /** True while the holder is a writer (there is then exactly one holder). */
  write: boolean;
  /** Owner token → absolute expiry in ms since the epoch (null: no expiry). */
  holders: Map<string, number | null>;
}

interface Waiter {
  key: Key;
  token: string;
  shared: boolean;
  grant(): void;
}

/** Per resource: the waiters in arrival order, and the timer for the earliest holder expiry. */
interface Queue {
  waiters: Waiter[];
  cancelTimer: (() => void) | null;
}

export interface InMemoryStoreOptions {
  /**
   * Lifetime given to a lock when it is saved, before any refresh (milliseconds or a
   * string with a unit, '30s'); null (the default) keeps it until released or until a
   * refresh sets an expiry.
   */
  initialTtl?: Duration | null;
}

export class InMemoryStore implements BlockingSharedLockStore {
  readonly #entries = new Map<string, Entry>();
  readonly #queues = new Map<string, Queue>();
  readonly #initialTtl: number | null;

  constructor(options?: InMemoryStoreOptions) {
    options = parseOptions(options, 'InMemoryStore options', ['initialTtl'], {
      ttl: 'The lock TTL is the Lock\'s (createLock(name, { ttl })); a store\'s own is initialTtl.',
    });
    this.#initialTtl = options.initialTtl === undefined ? null : parseOptionalTtl(options.initialTtl, 'InMemoryStore options.initialTtl');
  }

  async save(key: Key): Promise<void> {
    if (!this.#tryTake(key, tokenOf(key), false, false)) throw conflict(key);
    await checkNotExpired(this, key);
  }

  async saveRead(key: Key): Promise<void> {
    if (!this.#tryTake(key, tokenOf(key), true, false)) throw conflict(key);
    await checkNotExpired(this, key);
  }

  waitAndSave(key: Key, options?: WaitOptions): Promise<void> {
    return this.#wait(key, false, options);
  }

  waitAndSaveRead(key: Key, options?: WaitOptions): Promise<void> {
    return this.#wait(key, true, options);
  }

  /**
   * Takes the lock for `token` if it can now: a writer when nobody else holds it, a
   * reader when no writer does. Unless `queued` (the head of the queue being served), a
   * newcomer other than a current holder also waits its turn behind queued waiters.
   */
  #tryTake(key: Key, token: string, shared: boolean, queued: boolean): boolean {
    const entry = this.#live(key.resource);
    const holds = entry.holders.has(token);
    if (!queued && !holds && (this.#queues.get(key.resource)?.waiters.length ?? 0) > 0) return false;
    if (shared) {
      if (!holds && entry.write) return false;
    } else if (holds) {
      // Promotion is allowed only for the sole reader.
      if (!entry.write && entry.holders.size > 1) return false;
    } else if (entry.holders.size > 0) {
      return false;
    }
    if (this.#initialTtl !== null) key.reduceLifetime(this.#initialTtl);
    entry.holders.set(token, this.#expiryFor(entry.holders.get(token)));
    entry.write = !shared; // a read demotes when we were the writer
    this.#entries.set(key.resource, entry);
    return true;
  }

  async #wait(key: Key, shared: boolean, options: WaitOptions = {}): Promise<void> {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`waitAndSave() options must be an object { signal, timeout }; got ${describeValue(options)}.`);
    }
    const timeout = options.timeout === undefined ? undefined : validateTimeout(options.timeout, 'options.timeout');
    const signal = options.signal;
    signal?.throwIfAborted();
    const token = tokenOf(key);
    if (this.#tryTake(key, token, shared, false)) return checkNotExpired(this, key);
    if (timeout === 0) throw timedOut(key, 0);
    await new Promise<void>((resolve, reject) => {
      let cancelTimeout: (() => void) | null = null;
      const onAbort = () => leave(signal!.reason);
      const settle = () => {
        cancelTimeout?.();
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        key,
        token,
        shared,
        grant: () => {
          settle();
          resolve();
        },
      };
      const leave = (reason: unknown) => {
        settle();
        this.#dequeue(key.resource, waiter);
        reject(reason);
      };
      if (timeout !== undefined) cancelTimeout = setLongTimeout(() => leave(timedOut(key, timeout)), timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#enqueue(key.resource, waiter);
    });
    await checkNotExpired(this, key);
  }

  #enqueue(resource: string, waiter: Waiter): void {
    let queue = this.#queues.get(resource);
    if (!queue) {
      queue = { waiters: [], cancelTimer: null };
      this.#queues.set(resource, queue);
    }
    queue.waiters.push(waiter);
    this.#serve(resource);
  }

  #dequeue(resource: string, waiter: Waiter): void {
    const queue = this.#queues.get(resource);
    if (!queue) return;
    const index = queue.waiters.indexOf(waiter);
    if (index >= 0) queue.waiters.splice(index, 1);
    // A writer that left the head may have been all that kept readers behind it waiting.
    this.#serve(resource);
  }

  /**
   * Grants the lock to waiters from the head of the queue, in order, for as long as the
   * head can take it; then, if a holder with an expiry blocks the head, wakes up at that
   * expiry to try again.
   */
  #serve(resource: string): void {
    const queue = this.#queues.get(resource);
    if (!queue) return;
    queue.cancelTimer?.();
    queue.cancelTimer = null;
    while (queue.waiters.length > 0) {
      const head = queue.waiters[0]!;
      if (!this.#tryTake(head.key, head.token, head.shared, true)) break;
      queue.waiters.shift();
      head.grant();
    }
    if (queue.waiters.length === 0) {
      this.#queues.delete(resource);
      return;
    }
    let earliest = Infinity;
    for (const expiresAt of this.#entries.get(resource)?.holders.values() ?? []) {
      if (expiresAt !== null && expiresAt < earliest) earliest = expiresAt;
    }
    if (earliest !== Infinity) {
      // A refresh may have moved it later: serving then finds the holder still there and re-arms.
      queue.cancelTimer = setLongTimeout(() => this.#serve(resource), Math.max(earliest - Date.now(), 0) + 1, { unref: true });
    }
  }

  async putOffExpiration(key: Key, ttl: number): Promise<void> {
    validateTtl(ttl);
    const token = tokenOf(key);
    key.reduceLifetime(ttl);
    // No purge first, as in Redis: an owner whose expiry passed unnoticed may extend it.
    const entry = this.#entries.get(key.resource);
    if (!entry?.holders.has(token)) throw conflict(key);
    entry.holders.set(token, Date.now() + ttl);
    if (this.#queues.has(key.resource)) this.#serve(key.resource); // re-arm at the new expiry
    await checkNotExpired(this, key);
  }

  async delete(key: Key): Promise<void> {
    const entry = this.#entries.get(key.resource);
    const token = key.getState<string>(TOKEN);
    if (!entry || token === undefined || !entry.holders.delete(token)) return;
    entry.write = false;
    // The last holder takes the entry with it (Symfony 7.2 left an empty reader map
    // behind, which then let a reader in beside a writer: symfony/symfony#65115).
    if (entry.holders.size === 0) this.#entries.delete(key.resource);
    this.#serve(key.resource); // straight to the next in line
  }

  async exists(key: Key): Promise<boolean> {
    const token = key.getState<string>(TOKEN);
    if (token === undefined) return false;
    const entry = this.#live(key.resource);
    if (entry.holders.size === 0) this.#entries.delete(key.resource);
    return entry.holders.has(token);
  }

  /** The entry with expired holders purged (a fresh empty one when there is none). */
  #live(resource: string): Entry {
    const entry = this.#entries.get(resource) ?? { write: false, holders: new Map() };
    const now = Date.now();
    for (const [token, expiresAt] of entry.holders) {
      if (expiresAt !== null && expiresAt <= now) {
        entry.holders.delete(token);
        entry.write = false; // a writer is always the sole holder
      }
    }
    return entry;
  }

  #expiryFor(current: number | null | undefined): number | null {
    if (this.#initialTtl !== null) return Date.now() + this.#initialTtl;
    return current ?? null;
  }
}

function tokenOf(key: Key): string {
  if (!key.hasState(TOKEN)) key.setState(TOKEN, randomBytes(16).toString('base64url'));
  return key.getState<string>(TOKEN);
}

function timedOut(key: Key, timeout: number): LockConflictedError {
  return new LockConflictedError(`Timed out after ${timeout} ms waiting for the "${key.resource}" lock.`);
}

function conflict(key: Key): LockConflictedError {
  return new LockConflictedError(`The "${key.resource}" lock is held by another owner.`);
}
