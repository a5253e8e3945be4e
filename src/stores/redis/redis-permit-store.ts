// RedisPermitStore: Symfony Semaphore's RedisStore on ioredis (same sorted sets, same
// whole-second expiries: PHP and Node holders count against one N), plus what Symfony
// lacks: first-in, first-out waits (the lock store's Redis wait queue and notifier: a
// release grants the permits to the head waiters itself and tells each of them alone),
// with a poll bounded by the first holder's expiry as the fallback (PHP holders never
// publish, nor queue), and keys that travel (the token lives in the key's state).
// Scripts: permit-scripts.ts.
import {
  InvalidArgumentError,
  LockConflictedError,
  SemaphoreExpiredError,
  describeValue,
} from '../../core/errors.js';
import { parseTtl, validateTimeout, validateTtl } from '../../core/duration.js';
import type { PersistingStore, WaitOptions } from '../../core/store.js';
import type { BlockingPermitStore } from '../../semaphore/permit-store.js';
import type { SemaphoreKey } from '../../semaphore/semaphore-key.js';
import { checkNotExpired } from '../expiring.js';
import { positiveMs, symfonyToken } from '../key-state.js';
import { evaluate, isRedisClient, storageError, type RedisClient } from './client.js';
import { checkDatabase } from './database-check.js';
import { ReleaseNotifier } from './notifier.js';
import { DELETE, EXISTS, LEAVE, PUT_OFF, SAVE, permitKeys, permitQueueKeys } from './permit-scripts.js';
import { NO_TIME_MESSAGES, type RedisScript } from './scripts.js';
import { attemptOnce, clockReading, leaseFor, RedisWaitQueues, sendClock, type Attempt } from './wait-queue.js';

const TOKEN = 'lockwright:redis-permits:token';

/** Symfony's token: base64 of 32 random bytes (key-state.ts symfonyToken). */
const ISSUED_TOKEN = /^[A-Za-z0-9+/]{43}=$/;

/** Stores whose client was made for them (createPermitStore with a DSN): close() quits it. */
const owningStores = new WeakSet<RedisPermitStore>();

export function ownPermitClient(store: RedisPermitStore): RedisPermitStore {
  owningStores.add(store);
  return store;
}

export interface RedisPermitStoreOptions {
  /**
   * How long permits saved with a null TTL live: milliseconds or a unit string ('300s').
   * Default 300 s (Symfony's default semaphore TTL). Redis keeps expiries in whole
   * seconds, rounded up: permits live at least their TTL, at most 1 s more.
   */
  initialTtl?: number | string;
  /**
   * Longest pause in ms between two tries of a waiting acquire when no release is
   * published (a lost message, or a PHP Symfony holder, which does not publish).
   * Releases by lockwright wake waiters at once. Default 1,000.
   */
  pollInterval?: number;
}

const OPTION_KEYS = ['initialTtl', 'pollInterval'];

export class RedisPermitStore implements BlockingPermitStore {
  /** The delete script removes the token atomically: a release needs no exists() after it. */
  readonly verifiesDelete = true;
  readonly #client: RedisClient;
  readonly #initialTtl: number;
  readonly #notifier: ReleaseNotifier;
  readonly #waits: RedisWaitQueues;
  /** How long the Redis wait queue keeps a waiter of this store that stopped renewing (ms). */
  readonly #lease: number;
  /** "1": a release may grant permits to the head waiters itself (not on a Cluster: RedisStore's #direct). */
  readonly #direct: '0' | '1';
  /** As in RedisStore: a late grant is given back only if no newer acquisition with the key began. */
  readonly #acquisitions = new WeakMap<SemaphoreKey, number>();

  /** `client`: an ioredis `Redis` or `Cluster` (or anything with the same methods). */
  constructor(client: RedisClient, options: RedisPermitStoreOptions = {}) {
    if (!isRedisClient(client)) {
      throw new InvalidArgumentError(`RedisPermitStore needs an ioredis client (Redis or Cluster); got ${describeValue(client)}.`);
    }
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`RedisPermitStore options must be an object { ${OPTION_KEYS.join(', ')} }; got ${describeValue(options)}.`);
    }
    const unknown = Object.keys(options).filter((name) => !OPTION_KEYS.includes(name));
    if (unknown.length > 0) {
      throw new InvalidArgumentError(`Unknown RedisPermitStore option(s) ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${OPTION_KEYS.join(', ')}).`);
    }
    this.#client = client;
    this.#initialTtl = options.initialTtl === undefined ? 300_000 : parseTtl(options.initialTtl, 'initialTtl');
    const pollInterval = options.pollInterval === undefined ? 1_000 : positiveMs(options.pollInterval, 'pollInterval');
    this.#notifier = new ReleaseNotifier(client);
    this.#waits = new RedisWaitQueues(this.#notifier, pollInterval);
    this.#lease = leaseFor(pollInterval);
    this.#direct = client.isCluster ? '0' : '1';
  }

  /**
   * Closes the connection this store opened for waits. A store made by
   * createPermitStore() from a DSN also quits its client; a client you passed in stays
   * yours to quit.
   */
  async close(): Promise<void> {
    this.#notifier.close();
    if (!owningStores.has(this)) return;
    try {
      await this.#client.quit?.();
    } catch {
      this.#client.disconnect?.();
    }
  }

  async save(key: SemaphoreKey, ttl: number | null): Promise<void> {
    const lifetime = this.#lifetime(ttl);
    this.#began(key);
    const attempt = await this.#trySave(key, lifetime);
    if (!attempt.granted) {
      throw new LockConflictedError(`The "${key.resource}" semaphore has fewer than ${key.weight} of its ${key.limit} permits free.`);
    }
  }

  async waitAndSave(key: SemaphoreKey, ttl: number | null, options: WaitOptions = {}): Promise<void> {
    const lifetime = this.#lifetime(ttl);
    if (options.timeout !== undefined) validateTimeout(options.timeout, 'options.timeout');
    options.signal?.throwIfAborted();
    tokenOf(key); // a forged token is refused here, not retried
    const acquisition = this.#began(key);
    const id = `permits:${key.resource}`;
    const tryFirst = this.#waits.triesFirst(id, options);
    if (tryFirst && (await this.#attempt(key, lifetime, null)).granted) return;
    const source = {
      attempt: (waiter: string | null): Promise<Attempt> => this.#attempt(key, lifetime, waiter),
      abandon: async () => {
        if (this.#acquisitions.get(key) === acquisition) await this.delete(key);
      },
      adopt: async (_grant: string, elapsed: number | null) => {
        // Granted by a release, with the TTL this wait queued with (#trySave's), counted
        // from the grant (the server's expiry is that, rounded up to a whole second).
        key.resetLifetime();
        if (elapsed === null) {
          // No bound on the time since the grant: a refresh restarts the TTL from its
          // own request (one round trip; rejects if the permits are not held).
          await this.putOffExpiration(key, lifetime);
          return;
        }
        key.reduceLifetime(Math.min(lifetime, lifetime - elapsed));
        if (key.isExpired()) await checkNotExpired(this as unknown as PersistingStore, key);
      },
      leave: async (waiter: string) =>
        (await this.#eval(LEAVE, 'leave the queue of', key, [...this.#clock(), waiter, this.#direct])) === 1,
    };
    return this.#waits.wait(id, source, options, `permits of the "${key.resource}" semaphore`, tryFirst);
  }

  /** One try of a wait (wait-queue.ts attemptOnce). */
  #attempt(key: SemaphoreKey, lifetime: number, waiter: string | null): Promise<Attempt> {
    return attemptOnce(key, () => this.#trySave(key, lifetime, waiter));
  }

  async putOffExpiration(key: SemaphoreKey, ttl: number): Promise<void> {
    validateTtl(ttl, 'ttl');
    const token = issuedToken(key);
    if (token === undefined) throw expired(key, 'it holds no permits');
    key.reduceLifetime(ttl);
    const args = [...this.#clock(), token, Math.ceil(ttl)];
    if ((await this.#eval(PUT_OFF, 'refresh', key, args)) !== 0) throw expired(key, 'its permits were released or expired');
    await checkNotExpired(this as unknown as PersistingStore, key);
  }

  async delete(key: SemaphoreKey): Promise<void> {
    const token = issuedToken(key);
    if (token === undefined) return;
    await this.#eval(DELETE, 'release', key, [...this.#clock(), token, this.#direct]);
  }

  async exists(key: SemaphoreKey): Promise<boolean> {
    const token = issuedToken(key);
    if (token === undefined) return false;
    return (await this.#eval(EXISTS, 'check', key, [...this.#clock(), token])) === 1;
  }

  /**
   * One try: granted, or how long until the first holder's permits expire (ms, <0
   * unknown). `waiter`: the id to queue under in Redis when refused (null: a try that
   * does not queue; it does not take permits from queued waiters either).
   */
  async #trySave(key: SemaphoreKey, ttl: number, waiter: string | null = null): Promise<Attempt> {
    const token = tokenOf(key);
    key.reduceLifetime(ttl);
    const args = [...this.#clock(), token, Math.ceil(ttl), key.limit, key.weight, waiter ?? '', this.#lease, this.#direct];
    const sentAt = sendClock();
    const reply = await this.#eval(SAVE, 'acquire', key, args);
    const [status, retryIn, serverMs] = Array.isArray(reply) ? (reply as [unknown, unknown, unknown]) : [reply, -1, null];
    if (status !== 1) {
      key.resetLifetime(); // refused: the key holds nothing, so it has no lifetime
      return { granted: false, retryIn: Number(retryIn ?? -1), clock: clockReading(serverMs, sentAt) };
    }
    if (key.isExpired()) await checkNotExpired(this as unknown as PersistingStore, key);
    return { granted: true };
  }

  #lifetime(ttl: number | null): number {
    return ttl === null ? this.#initialTtl : validateTtl(ttl, 'ttl');
  }

  #began(key: SemaphoreKey): number {
    const count = (this.#acquisitions.get(key) ?? 0) + 1;
    this.#acquisitions.set(key, count);
    return count;
  }

  /**
   * Runs a script on the resource's two sets. A server whose scripts may not write after
   * TIME (Redis before 5 without effects replication, some managed offerings) refuses at
   * the first write, before anything changed: the script runs again on the client clock,
   * and this client uses it from then on.
   */
  async #eval(script: RedisScript, action: string, key: SemaphoreKey, args: Array<string | number>): Promise<unknown> {
    // Once the database is confirmed (every call but a connection's first), nothing is awaited before the command goes out.
    if (checkDatabase(this.#client) !== undefined) await this.#databaseChecked(action, key);
    const keys = [...permitKeys(key.resource), ...permitQueueKeys(key.resource)].slice(0, script.numKeys);
    try {
      try {
        return await evaluate(this.#client, script, [...keys, ...args]);
      } catch (error) {
        if (args[0] !== '1' || !NO_TIME_MESSAGES.some((m) => String((error as Error)?.message ?? '').includes(m))) throw error;
        clientClock.add(this.#client);
        return await evaluate(this.#client, script, [...keys, '0', Date.now(), ...args.slice(2)]);
      }
    } catch (error) {
      throw storageError(action, key.resource, error, [key.getState<string | undefined>(TOKEN) ?? ''], 'semaphore');
    }
  }

  /** A DSN's database is the one selected, or nothing is sent (database-check.ts). */
  async #databaseChecked(action: string, key: SemaphoreKey): Promise<void> {
    const check = checkDatabase(this.#client);
    if (check === undefined) return;
    try {
      await check;
    } catch (error) {
      if (error instanceof InvalidArgumentError) throw error;
      throw storageError(action, key.resource, error, [], 'semaphore');
    }
  }

  /** ARGV[1..2] of the time-aware scripts: use the server clock?, the client clock in ms. */
  #clock(): [string, number] {
    return [clientClock.has(this.#client) ? '0' : '1', Date.now()];
  }
}

/** Clients whose server refused TIME before a write in a script: they use their own clock. */
const clientClock = new WeakSet<RedisClient>();

function expired(key: SemaphoreKey, why: string): SemaphoreExpiredError {
  return new SemaphoreExpiredError(`The semaphore "${key.resource}" has expired: ${why}.`);
}

/** The key's Symfony token, made on first use; kept in the key so that it can travel (toJSON). */
function tokenOf(key: SemaphoreKey): string {
  return issuedToken(key) ?? symfonyToken(key, TOKEN);
}

/**
 * The key's token, if it has one, refused unless it is one this store could have issued
 * (a key rebuilt by SemaphoreKey.fromJSON() carries whatever its JSON said). Refused
 * before any command; the message never shows the token.
 */
function issuedToken(key: SemaphoreKey): string | undefined {
  const token = key.getState<unknown>(TOKEN);
  if (token === undefined || token === null) return undefined;
  if (typeof token !== 'string' || !ISSUED_TOKEN.test(token)) {
    throw new InvalidArgumentError(
      `The key of the "${key.resource}" semaphore carries a Redis permit token that lockwright did not issue ` +
        `(expected 44 base64 characters from key.toJSON() of a RedisPermitStore semaphore; got ${typeof token === 'string' ? `a string of ${token.length} characters` : describeValue(token)}).`,
    );
  }
  return token;
}
