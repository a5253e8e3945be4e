// InMemoryStore: locks inside one store instance, with the semantics of an expiring
// remote store (RedisStore's data model: owner tokens, a write flag, per-holder expiry),
// so applications and tests get the real behaviour without a server.
import { randomBytes } from 'node:crypto';
import { LockConflictedError } from '../../core/errors.js';
import { parseOptionalTtl, validateTtl, type Duration } from '../../core/duration.js';
import type { Key } from '../../core/key.js';
import { parseOptions } from '../../core/options.js';
import type { SharedLockStore } from '../../core/store.js';
import { checkNotExpired } from '../expiring.js';

const TOKEN = 'lockwright:in-memory:token';

interface Entry {
  /** True while the holder is a writer (there is then exactly one holder). */
  write: boolean;
  /** Owner token → absolute expiry in ms since the epoch (null: no expiry). */
  holders: Map<string, number | null>;
}

export interface InMemoryStoreOptions {
  /**
   * Lifetime given to a lock when it is saved, before any refresh (milliseconds or a
   * string with a unit, '30s'); null (the default) keeps it until released or until a
   * refresh sets an expiry.
   */
  initialTtl?: Duration | null;
}

export class InMemoryStore implements SharedLockStore {
  readonly #entries = new Map<string, Entry>();
  readonly #initialTtl: number | null;

  constructor(options?: InMemoryStoreOptions) {
    options = parseOptions(options, 'InMemoryStore options', ['initialTtl'], {
      ttl: 'The lock TTL is the Lock\'s (createLock(name, { ttl })); a store\'s own is initialTtl.',
    });
    this.#initialTtl = options.initialTtl === undefined ? null : parseOptionalTtl(options.initialTtl, 'InMemoryStore options.initialTtl');
  }

  async save(key: Key): Promise<void> {
    const token = tokenOf(key);
    if (this.#initialTtl !== null) key.reduceLifetime(this.#initialTtl);
    const entry = this.#live(key.resource);
    if (entry.holders.has(token)) {
      // Promotion is allowed only for the sole reader.
      if (!entry.write && entry.holders.size > 1) throw conflict(key);
    } else if (entry.holders.size > 0) {
      throw conflict(key);
    }
    entry.holders.set(token, this.#expiryFor(entry.holders.get(token)));
    entry.write = true;
    this.#entries.set(key.resource, entry);
    await checkNotExpired(this, key);
  }

  async saveRead(key: Key): Promise<void> {
    const token = tokenOf(key);
    if (this.#initialTtl !== null) key.reduceLifetime(this.#initialTtl);
    const entry = this.#live(key.resource);
    if (!entry.holders.has(token) && entry.write) throw conflict(key);
    entry.holders.set(token, this.#expiryFor(entry.holders.get(token)));
    entry.write = false; // demotes when we were the writer
    this.#entries.set(key.resource, entry);
    await checkNotExpired(this, key);
  }

  async putOffExpiration(key: Key, ttl: number): Promise<void> {
    validateTtl(ttl);
    const token = tokenOf(key);
    key.reduceLifetime(ttl);
    // No purge first, as in Redis: an owner whose expiry passed unnoticed may extend it.
    const entry = this.#entries.get(key.resource);
    if (!entry?.holders.has(token)) throw conflict(key);
    entry.holders.set(token, Date.now() + ttl);
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

function conflict(key: Key): LockConflictedError {
  return new LockConflictedError(`The "${key.resource}" lock is held by another owner.`);
}
