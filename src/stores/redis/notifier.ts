// Wake-ups for waiters: one subscriber connection per RedisStore, made lazily with
// duplicate(), subscribed to one channel of this store's own (WAKE_PREFIX + a random
// store id), and closed shortly after the last waiter leaves. A release hands the lock
// to the waiter at the head of the resource's queue and publishes that on the waiter's
// store channel ("<waiter id> <grant> <server ms>"; scripts.ts), so that one process,
// and in it one waiter, wakes per release. A lost message only slows a wait down: the
// waiter polls, and its next try finds the lock its own (see wait-queue.ts).
// RedisPermitStore's waits are told the same way that a release granted them permits.
import { randomBytes } from 'node:crypto';
import type { RedisClient, RedisSubscriberClient } from './client.js';
import { WAKE_PREFIX } from './scripts.js';

/** Keeps the connection for waits that follow each other closely (a worker loop). */
const LINGER_MS = 1_000;
/** A subscription taking longer than this does not hold the first attempt back. */
const SUBSCRIBE_WAIT_MS = 500;

export interface Listening {
  /** The id this waiter queues under in Redis (its store's id, ".", a number). */
  readonly id: string;
  /** Settles once the subscription is confirmed, failed, or slow; never rejects. */
  readonly ready: Promise<void>;
  close(): void;
}

export class ReleaseNotifier {
  readonly #client: RedisClient;
  /** This store's id: the channel's suffix and the prefix of its waiters' ids (no "."). */
  readonly #storeId = randomBytes(12).toString('base64url');
  readonly #channel = WAKE_PREFIX + this.#storeId;
  #connection: RedisSubscriberClient | null = null;
  /** Settles when the channel is subscribed on #connection (or that failed). */
  #subscribed: Promise<boolean> | null = null;
  /** Whether the subscription is confirmed: a waiter may then queue with its first try. */
  #confirmed = false;
  readonly #listeners = new Map<string, (grant: string | undefined, grantedAt: number | undefined) => void>();
  #next = 0;
  #linger: ReturnType<typeof setTimeout> | null = null;

  constructor(client: RedisClient) {
    this.#client = client;
  }

  /** Whether the subscriber connection is open (for tests and diagnostics). */
  get connected(): boolean {
    return this.#connection !== null;
  }

  /** Whether a release would reach a waiter that queues now, without waiting for a subscription. */
  get subscribed(): boolean {
    return this.#confirmed;
  }

  /**
   * A fresh waiter id, and its wake-ups: `onWake` runs when a release names it, with
   * the grant (a fencing token, "-" for a reader, "+" for permits) when the release handed
   * it what it waits for, and the grant's instant by the server clock in ms (undefined
   * when the message has none: a release by an older lockwright).
   */
  listen(onWake: (grant: string | undefined, grantedAt: number | undefined) => void): Listening {
    if (this.#linger !== null) {
      clearTimeout(this.#linger);
      this.#linger = null;
    }
    const subscribed = this.#subscribe();
    const id = `${this.#storeId}.${(this.#next++).toString(36)}`;
    this.#listeners.set(id, onWake);
    let ready: Promise<void>;
    if (this.#confirmed) {
      ready = Promise.resolve();
    } else {
      let timer: ReturnType<typeof setTimeout> | undefined;
      ready = Promise.race([
        subscribed.then(() => undefined),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS))),
      ]).finally(() => clearTimeout(timer));
    }
    return {
      id,
      ready,
      close: () => {
        if (this.#listeners.delete(id)) this.#scheduleClose();
      },
    };
  }

  #subscribe(): Promise<boolean> {
    if (this.#subscribed) return this.#subscribed;
    let connection: RedisSubscriberClient;
    try {
      connection = this.#connect();
    } catch {
      // A client whose duplicate() throws still gets waits: polled ones.
      return Promise.resolve(false);
    }
    const subscribed = connection.subscribe(this.#channel).then(
      () => {
        if (this.#subscribed === subscribed) this.#confirmed = true;
        return true;
      },
      () => {
        // Let the next waiter try again; this one polls.
        if (this.#subscribed === subscribed) this.#subscribed = null;
        return false;
      },
    );
    this.#subscribed = subscribed;
    return subscribed;
  }

  #connect(): RedisSubscriberClient {
    if (this.#connection) return this.#connection;
    const overrides = { enableOfflineQueue: true, lazyConnect: false };
    const duplicate = this.#client.duplicate as (...args: unknown[]) => RedisSubscriberClient;
    const connection = this.#client.isCluster
      ? duplicate.call(this.#client, [], overrides)
      : duplicate.call(this.#client, overrides);
    // Errors surface through the store's commands; an unheard 'error' event would only
    // be printed by ioredis.
    connection.on('error', () => {});
    connection.on('message', (channel, message) => {
      if (channel !== this.#channel) return;
      const wake = parseWake(message);
      this.#listeners.get(wake.id)?.(wake.grant, wake.grantedAt);
    });
    this.#connection = connection;
    watchClient(this.#client, this);
    return connection;
  }

  /** Closes the connection a second after the last listener left, unless another comes. */
  #scheduleClose(): void {
    if (this.#linger !== null || this.#listeners.size > 0) return;
    this.#linger = setTimeout(() => {
      this.#linger = null;
      if (this.#listeners.size === 0) this.#close();
    }, LINGER_MS);
    this.#linger.unref?.();
  }

  /** Closes the subscriber connection now (waits in flight fall back to polling). */
  close(): void {
    this.#close();
  }

  #close(): void {
    if (this.#linger !== null) clearTimeout(this.#linger);
    this.#linger = null;
    const connection = this.#connection;
    this.#connection = null;
    this.#subscribed = null;
    this.#confirmed = false;
    unwatchClient(this.#client, this);
    connection?.disconnect();
  }
}

/**
 * A message on a store channel: "<waiter id>" (wake up and try), "<waiter id> <grant>"
 * (a release by an older lockwright), or "<waiter id> <grant> <server ms>". Neither ids
 * nor grants contain spaces; an instant that is not a whole number counts as none.
 */
export function parseWake(message: string): { id: string; grant: string | undefined; grantedAt: number | undefined } {
  const [id = '', grant, at] = message.split(' ', 3);
  const grantedAt = at !== undefined && /^\d+$/.test(at) ? Number(at) : undefined;
  return { id, grant, grantedAt: grantedAt !== undefined && Number.isSafeInteger(grantedAt) ? grantedAt : undefined };
}

// The application quitting its client is the cue to close subscriber connections, so
// that the process can exit. One 'end' listener per client, however many stores use it.
const watchers = new WeakMap<RedisClient, Set<ReleaseNotifier>>();

function watchClient(client: RedisClient, notifier: ReleaseNotifier): void {
  let set = watchers.get(client);
  if (!set) {
    if (typeof client.once !== 'function') return;
    const created = new Set<ReleaseNotifier>();
    set = created;
    watchers.set(client, created);
    client.once('end', () => {
      watchers.delete(client);
      for (const watcher of created) watcher.close();
    });
  }
  set.add(notifier);
}

function unwatchClient(client: RedisClient, notifier: ReleaseNotifier): void {
  watchers.get(client)?.delete(notifier);
}
