// RedisStore: Symfony's RedisStore on ioredis (same data layout, so PHP and Node
// holders exclude each other), plus what Symfony lacks: waits woken by releases
// (notifier.ts, wait-queue.ts) and fencing tokens. Scripts: scripts.ts.
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, LockConflictedError, describeValue } from '../../core/errors.js';
import { validateTimeout, validateTtl } from '../../core/duration.js';
import { setFencingToken } from '../../core/fencing.js';
import { markLifetimeApplied, requestedLifetime } from '../../core/lifetime-request.js';
import type { Key } from '../../core/key.js';
import type { BlockingSharedLockStore, BlockingStore, VerifiedDeleteStore, WaitOptions } from '../../core/store.js';
import { checkNotExpired } from '../expiring.js';
import {
  evaluate,
  fencingKey,
  isRedisClient,
  releaseChannel,
  storageError,
  type RedisClient,
} from './client.js';
import { ReleaseNotifier } from './notifier.js';
import {
  DELETE,
  EXISTS,
  NO_TIME_MESSAGES,
  PUT_OFF,
  SAVE,
  SAVE_READ,
  TIME_PROBE,
  TIME_PROBE_KEY,
  type RedisScript,
} from './scripts.js';
import { RedisWaitQueues, type Attempt } from './wait-queue.js';

const TOKEN = 'lockwright:redis:token';

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
    this.#initialTtl = options.initialTtl === undefined ? 300_000 : validateTtl(options.initialTtl, 'initialTtl');
    const pollInterval = options.pollInterval ?? 1_000;
    if (typeof pollInterval !== 'number' || !Number.isFinite(pollInterval) || pollInterval <= 0) {
      throw new InvalidArgumentError(
        `pollInterval must be a positive, finite number of milliseconds; got ${describeValue(pollInterval)}.`,
      );
    }
    this.#notifier = new ReleaseNotifier(client);
    this.#waits = new RedisWaitQueues(this.#notifier, pollInterval);
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
    if (!(await this.#trySave(key, false)).granted) throw conflict(key);
  }

  async saveRead(key: Key): Promise<void> {
    if (!(await this.#trySave(key, true)).granted) throw conflict(key);
  }

  async waitAndSave(key: Key, options: WaitOptions = {}): Promise<void> {
    return this.#wait(key, false, options);
  }

  async waitAndSaveRead(key: Key, options: WaitOptions = {}): Promise<void> {
    return this.#wait(key, true, options);
  }

  async putOffExpiration(key: Key, ttl: number): Promise<void> {
    validateTtl(ttl);
    key.reduceLifetime(ttl);
    const done = await this.#eval(PUT_OFF, 'refresh', key, [...(await this.#clock('refresh', key)), tokenOf(key), Math.ceil(ttl)]);
    if (done !== 1) throw conflict(key);
    await checkNotExpired(this, key);
  }

  async delete(key: Key): Promise<void> {
    const token = key.getState<string | undefined>(TOKEN);
    if (token === undefined) return;
    await this.#eval(DELETE, 'release', key, [token, releaseChannel(key.resource)]);
    setFencingToken(key, null);
  }

  async exists(key: Key): Promise<boolean> {
    const token = key.getState<string | undefined>(TOKEN);
    if (token === undefined) return false;
    return (await this.#eval(EXISTS, 'check', key, [...(await this.#clock('check', key)), token])) === 1;
  }

  /** One try: granted, or how long the holder's key still lives (ms, <0 unknown). */
  async #trySave(key: Key, shared: boolean): Promise<Attempt> {
    const token = tokenOf(key);
    // The Lock's own TTL when it says which (one round trip: no refresh after the save).
    const ttl = requestedLifetime(key) ?? this.#initialTtl;
    key.reduceLifetime(ttl);
    const args = [...(await this.#clock('acquire', key)), token, Math.ceil(ttl)];
    const reply = shared
      ? await this.#eval(SAVE_READ, 'acquire', key, [...args, releaseChannel(key.resource)])
      : await this.#eval(SAVE, 'acquire', key, args, fencingKey(key.resource));
    const [status, value] = Array.isArray(reply) ? (reply as [unknown, unknown]) : [reply, -1];
    if (status !== 1) return { granted: false, retryIn: Number(value ?? -1) };
    // A reader has no fencing token: it cannot write.
    setFencingToken(key, shared ? null : BigInt(String(value)));
    await checkNotExpired(this, key);
    markLifetimeApplied(key, ttl);
    return { granted: true };
  }

  async #wait(key: Key, shared: boolean, options: WaitOptions): Promise<void> {
    if (options.timeout !== undefined) validateTimeout(options.timeout, 'options.timeout');
    options.signal?.throwIfAborted();
    const id = `${shared ? 'read' : 'write'}:${key.resource}`;
    // A free lock is taken at once, before subscribing (one round trip, as a non-blocking
    // save); the queue then subscribes first and tries again, so no release is missed.
    if (this.#waits.waiting(id) === 0) {
      if ((await this.#trySave(key, shared)).granted) return;
      if (options.timeout === 0) {
        throw new LockConflictedError(`Timed out after 0 ms waiting for the "${key.resource}" lock.`);
      }
    }
    const source = {
      attempt: () => {
        // Each try stands for a fresh acquisition: the time spent waiting is not held time.
        key.resetLifetime();
        return this.#trySave(key, shared);
      },
      abandon: () => this.delete(key),
    };
    return this.#waits.wait(id, releaseChannel(key.resource), source, options, `the "${key.resource}" lock`);
  }

  async #eval(script: RedisScript, action: string, key: Key, args: Array<string | number>, extraKey?: string): Promise<unknown> {
    const keys = extraKey === undefined ? [key.resource] : [key.resource, extraKey];
    try {
      return await evaluate(this.#client, script, [...keys, ...args]);
    } catch (error) {
      throw storageError(action, key.resource, error);
    }
  }

  /** ARGV[1..2] of the time-aware scripts: use the server clock?, the client clock. */
  async #clock(action: string, key: Key): Promise<[string, number]> {
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
  if (!key.hasState(TOKEN)) key.setState(TOKEN, randomBytes(16).toString('base64url'));
  return key.getState<string>(TOKEN);
}

function conflict(key: Key): LockConflictedError {
  return new LockConflictedError(`The "${key.resource}" lock is held by another owner.`);
}
