// RedisStore: Symfony's RedisStore on ioredis (same data layout, so PHP and Node
// holders exclude each other), plus what Symfony lacks: waits woken by releases
// (notifier.ts, wait-queue.ts) and fencing tokens. Scripts: scripts.ts.
import { randomBytes } from 'node:crypto';
import {
  InvalidArgumentError,
  InvalidTtlError,
  describeValue,
} from '../../core/errors.js';
import { validateTimeout, validateTtl } from '../../core/duration.js';
import { setFencingToken } from '../../core/fencing.js';
import { markLifetimeApplied, requestedLifetime } from '../../core/lifetime-request.js';
import type { Key } from '../../core/key.js';
import type { BlockingSharedLockStore, BlockingStore, VerifiedDeleteStore, WaitOptions } from '../../core/store.js';
import { checkNotExpired } from '../expiring.js';
import { evaluate, isRedisClient, scriptKeys, storageError, type RedisClient } from './client.js';
import { checkDatabase } from './database-check.js';
import { ReleaseNotifier } from './notifier.js';
import {
  DELETE,
  EXISTS,
  LEAVE,
  MAX_TTL_MS,
  NO_TIME_MESSAGES,
  PUT_OFF,
  SAVE,
  SAVE_READ,
  TIME_PROBE,
  TIME_PROBE_KEY,
  type LockScript,
} from './scripts.js';
import { attemptOnce, clockReading, leaseFor, RedisWaitQueues, sendClock, type Attempt } from './wait-queue.js';
import { heldByAnother } from '../key-state.js';

const TOKEN = 'lockwright:redis:token';

/** A granted try (shared: nobody writes to it). */
const GRANTED: Attempt = Object.freeze({ granted: true });

/** Stores whose client was made for them (createStore with a DSN): close() quits it. */
const owningStores = new WeakSet<RedisStore>();

export function ownClient(store: RedisStore): RedisStore {
  owningStores.add(store);
  return store;
}

export interface RedisStoreOptions {
  /** Lifetime in ms a lock gets when saved, before the Lock's own TTL applies. Default 300,000. */
  initialTtl?: number;
  /**
   * Longest pause in ms between two tries of a waiting acquire when no release is
   * published (a lost message, or a PHP Symfony holder, which does not publish).
   * Releases by lockwright wake waiters at once. Default 1,000.
   */
  pollInterval?: number;
}

export class RedisStore implements BlockingStore, BlockingSharedLockStore, VerifiedDeleteStore {
  /** The delete script removes the token atomically: Lock.release() needs no exists() after it. */
  readonly verifiesDelete = true;
  readonly #client: RedisClient;
  readonly #initialTtl: number;
  readonly #notifier: ReleaseNotifier;
  readonly #waits: RedisWaitQueues;
  /** How long the Redis wait queue keeps a waiter of this store that stopped renewing (ms). */
  readonly #lease: number;
  /**
   * "1": a release may hand the lock to the head of the queue itself (scripts.ts). Not
   * on a Cluster, where PUBLISH counts one node's subscribers: the head is woken instead.
   */
  readonly #direct: '0' | '1';
  /**
   * Acquisitions started per key. A wait that ended with a try still in flight gives a
   * late grant back only if no acquisition with the key began since: a newer one (the
   * same token) owns that grant, and giving it back would release the newer holding.
   */
  readonly #acquisitions = new WeakMap<Key, number>();

  /** `client`: an ioredis `Redis` or `Cluster` (or anything with the same methods). */
  constructor(client: RedisClient, options: RedisStoreOptions = {}) {
    if (!isRedisClient(client)) {
      throw new InvalidArgumentError(
        `RedisStore needs an ioredis client (Redis or Cluster); got ${describeValue(client)}.`,
      );
    }
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`RedisStore options must be an object; got ${describeValue(options)}.`);
    }
    this.#client = client;
    this.#initialTtl = options.initialTtl === undefined ? 300_000 : redisTtl(options.initialTtl, 'initialTtl');
    const pollInterval = options.pollInterval ?? 1_000;
    if (typeof pollInterval !== 'number' || !Number.isFinite(pollInterval) || pollInterval <= 0) {
      throw new InvalidArgumentError(
        `pollInterval must be a positive, finite number of milliseconds; got ${describeValue(pollInterval)}.`,
      );
    }
    this.#notifier = new ReleaseNotifier(client);
    this.#waits = new RedisWaitQueues(this.#notifier, pollInterval);
    this.#lease = leaseFor(pollInterval);
    this.#direct = client.isCluster ? '0' : '1';
  }

  /**
   * Closes the connection this store opened for waits. A store made by createStore()
   * from a DSN also quits its client; a client you passed in stays yours to quit.
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

  async save(key: Key): Promise<void> {
    this.#began(key);
    if (!(await this.#trySave(key, false, null)).granted) throw heldByAnother(key);
  }

  async saveRead(key: Key): Promise<void> {
    this.#began(key);
    if (!(await this.#trySave(key, true, null)).granted) throw heldByAnother(key);
  }

  waitAndSave(key: Key, options: WaitOptions = {}): Promise<void> {
    return this.#wait(key, false, options);
  }

  waitAndSaveRead(key: Key, options: WaitOptions = {}): Promise<void> {
    return this.#wait(key, true, options);
  }

  async putOffExpiration(key: Key, ttl: number): Promise<void> {
    redisTtl(ttl, 'ttl');
    key.reduceLifetime(ttl);
    const done = await this.#timed(PUT_OFF, 'refresh', key, [tokenOf(key), Math.ceil(ttl)]);
    if (done !== 1) throw heldByAnother(key);
    if (key.isExpired()) await checkNotExpired(this, key);
  }

  async delete(key: Key): Promise<void> {
    const token = issuedToken(key);
    if (token === undefined) return;
    await this.#timed(DELETE, 'release', key, [token, this.#direct]);
    setFencingToken(key, null);
  }

  async exists(key: Key): Promise<boolean> {
    const token = issuedToken(key);
    if (token === undefined) return false;
    return (await this.#timed(EXISTS, 'check', key, [token])) === 1;
  }

  /**
   * One try: granted, or how long the holder's key still lives (ms, <0 unknown).
   * `waiter`: the id to queue under in Redis when the lock is not free for it.
   * Callers are async functions: what this throws reaches theirs as a rejection.
   */
  #trySave(key: Key, shared: boolean, waiter: string | null): Promise<Attempt> {
    const token = tokenOf(key);
    // The Lock's own TTL when it says which (one round trip: no refresh after the save).
    const ttl = redisTtl(requestedLifetime(key) ?? this.#initialTtl, 'ttl');
    key.reduceLifetime(ttl);
    // An exclusive try that does not queue leaves out the waiter's arguments (SAVE reads
    // them as "no waiter"); a shared one sends them all (its direct flag grants readers).
    const rest =
      waiter === null && !shared
        ? [token, Math.ceil(ttl)]
        : [token, Math.ceil(ttl), waiter ?? '', this.#lease, this.#direct];
    const sentAt = sendClock();
    return this.#timed(shared ? SAVE_READ : SAVE, 'acquire', key, rest).then((reply) => {
      const [status, value, serverMs] = Array.isArray(reply) ? (reply as [unknown, unknown, unknown]) : [reply, -1, null];
      if (status !== 1) return { granted: false, retryIn: Number(value ?? -1), clock: clockReading(serverMs, sentAt) };
      // A reader has no fencing token: it cannot write.
      setFencingToken(key, shared ? null : BigInt(String(value)));
      if (key.isExpired()) return checkNotExpired(this, key).then(() => GRANTED);
      markLifetimeApplied(key, ttl);
      return GRANTED;
    });
  }

  /** One try of a wait (wait-queue.ts attemptOnce). */
  #attempt(key: Key, shared: boolean, waiter: string | null): Promise<Attempt> {
    return attemptOnce(key, () => this.#trySave(key, shared, waiter));
  }

  async #wait(key: Key, shared: boolean, options: WaitOptions): Promise<void> {
    if (options.timeout !== undefined) validateTimeout(options.timeout, 'options.timeout');
    options.signal?.throwIfAborted();
    tokenOf(key); // a forged token is refused here, not retried
    const acquisition = this.#began(key);
    const id = `${shared ? 'read' : 'write'}:${key.resource}`;
    const tryFirst = this.#waits.triesFirst(id, options);
    if (tryFirst && (await this.#attempt(key, shared, null)).granted) return;
    const source = {
      attempt: (waiter: string | null): Promise<Attempt> => this.#attempt(key, shared, waiter),
      abandon: async () => {
        if (this.#acquisitions.get(key) === acquisition) await this.delete(key);
      },
      adopt: async (grant: string, elapsed: number | null) => {
        // Handed over by a release, with the TTL this wait queued with (#trySave's),
        // counted from the grant: what is gone of it since is not this holder's.
        const ttl = redisTtl(requestedLifetime(key) ?? this.#initialTtl, 'ttl');
        setFencingToken(key, shared ? null : BigInt(grant));
        key.resetLifetime();
        if (elapsed === null) {
          // No bound on the time since the grant: a refresh restarts the TTL, counted
          // from its own request (one round trip; rejects if the lock is not ours).
          await this.putOffExpiration(key, ttl);
        } else {
          key.reduceLifetime(Math.min(ttl, ttl - elapsed));
          if (key.isExpired()) await checkNotExpired(this, key);
        }
        markLifetimeApplied(key, ttl);
      },
      leave: async (waiter: string) => (await this.#timed(LEAVE, 'leave the queue of', key, [waiter, this.#direct])) === 1,
    };
    return this.#waits.wait(id, source, options, `the "${key.resource}" lock`, tryFirst);
  }

  #began(key: Key): number {
    const count = (this.#acquisitions.get(key) ?? 0) + 1;
    this.#acquisitions.set(key, count);
    return count;
  }

  /**
   * Runs a script whose ARGV[1..2] say whether to use the server clock, and the client
   * clock; `rest` follows. Once the database is confirmed and the clock probed (every
   * call but a connection's first), nothing is awaited before the command goes out.
   */
  #timed(script: LockScript, action: string, key: Key, rest: Array<string | number>): Promise<unknown> {
    const server = serverTime.get(this.#client);
    if (server === undefined || checkDatabase(this.#client) !== undefined) {
      return this.#clock(action, key).then((clock) => this.#send(script, action, key, [...clock, ...rest]));
    }
    return this.#send(script, action, key, [server ? '1' : '0', Date.now(), ...rest]);
  }

  #send(script: LockScript, action: string, key: Key, args: Array<string | number>): Promise<unknown> {
    return evaluate(this.#client, script, [...scriptKeys(script, key.resource), ...args]).then(undefined, (error: unknown) => {
      throw storageError(action, key.resource, error, [key.getState<string | undefined>(TOKEN) ?? '']);
    });
  }

  /** A DSN's database is the one selected, or nothing is sent (database-check.ts). */
  async #databaseChecked(action: string, key: Key): Promise<void> {
    const check = checkDatabase(this.#client);
    if (check === undefined) return;
    try {
      await check;
    } catch (error) {
      if (error instanceof InvalidArgumentError) throw error;
      throw storageError(action, key.resource, error);
    }
  }

  /** ARGV[1..2] of the time-aware scripts: use the server clock?, the client clock. */
  async #clock(action: string, key: Key): Promise<[string, number]> {
    await this.#databaseChecked(action, key);
    let server = serverTime.get(this.#client);
    if (server === undefined) {
      let probe = probes.get(this.#client);
      if (!probe) {
        probe = probeTime(this.#client).finally(() => probes.delete(this.#client));
        probes.set(this.#client, probe);
      }
      try {
        server = await probe;
      } catch (error) {
        throw storageError(action, key.resource, error);
      }
    }
    return [server ? '1' : '0', Date.now()];
  }
}

// Whether scripts may read the server clock, probed once per client (Symfony probes
// once per store instance; stores are cheap to make here, round trips are not).
const serverTime = new WeakMap<RedisClient, boolean>();
const probes = new WeakMap<RedisClient, Promise<boolean>>();

async function probeTime(client: RedisClient): Promise<boolean> {
  try {
    await evaluate(client, TIME_PROBE, [TIME_PROBE_KEY]);
    serverTime.set(client, true);
    return true;
  } catch (error) {
    const message = String((error as Error | undefined)?.message ?? '');
    // Any other failure (a lost connection) is no answer: ask again next time.
    if (!NO_TIME_MESSAGES.some((m) => message.includes(m))) throw error;
    serverTime.set(client, false);
    return false;
  }
}

/** 128 random bits, kept in the key so that the key can travel (toJSON) with its lock. */
function tokenOf(key: Key): string {
  const token = issuedToken(key);
  if (token !== undefined) return token;
  const fresh = randomBytes(16).toString('base64url');
  key.setState(TOKEN, fresh);
  return fresh;
}

/** What randomBytes(16).toString('base64url') gives: 22 characters of [A-Za-z0-9_-]. */
const ISSUED_TOKEN = /^[A-Za-z0-9_-]{22}$/;

/**
 * The key's owner token, if it has one, refused unless it is one this store could have
 * issued. A key rebuilt by Key.fromJSON() carries whatever its JSON said: "__write__"
 * (the write flag's member) would otherwise pass for the holder and strip the flag on
 * release. Refused before any command; the message never shows the token.
 */
function issuedToken(key: Key): string | undefined {
  const token = key.getState<unknown>(TOKEN);
  if (token === undefined || token === null) return undefined;
  if (typeof token !== 'string' || !ISSUED_TOKEN.test(token)) {
    throw new InvalidArgumentError(
      `The key of the "${key.resource}" lock carries a Redis owner token that lockwright did not issue ` +
        `(expected 22 base64url characters from key.toJSON() of a RedisStore lock; got ${typeof token === 'string' ? `a string of ${token.length} characters` : describeValue(token)}).`,
    );
  }
  return token;
}

/**
 * A TTL the scripts can represent (they check again, before any write): positive, and
 * at most MAX_TTL_MS, so that no expiry score turns into 1e+17, which PEXPIREAT refuses.
 */
function redisTtl(value: unknown, name: string): number {
  const ttl = validateTtl(value, name);
  if (ttl > MAX_TTL_MS) {
    throw new InvalidTtlError(
      `${name} must be at most ${MAX_TTL_MS} ms (100 years) on a RedisStore; got ${describeValue(value)} ms. Use a shorter TTL and refresh() it.`,
    );
  }
  return ttl;
}

