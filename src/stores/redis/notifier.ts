// Release notifications for waiters: one subscriber connection per RedisStore, made
// lazily with duplicate(), subscribed to the channels of resources someone in this
// process waits for, and closed shortly after the last waiter leaves. Notifications
// only speed waits up: a waiter whose subscription failed, or whose message was lost,
// still polls (see wait-queue.ts).
import type { RedisClient, RedisSubscriberClient } from './client.js';

/** Keeps the connection for waits that follow each other closely (a worker loop). */
const LINGER_MS = 1_000;
/** A subscription taking longer than this does not hold the first attempt back. */
const SUBSCRIBE_WAIT_MS = 500;

interface Channel {
  listeners: Set<() => void>;
  subscribed: Promise<void>;
}

export interface Listening {
  /** Settles once the subscription is confirmed, failed, or slow; never rejects. */
  readonly ready: Promise<void>;
  close(): void;
}

export class ReleaseNotifier {
  readonly #client: RedisClient;
  #connection: RedisSubscriberClient | null = null;
  readonly #channels = new Map<string, Channel>();
  #linger: ReturnType<typeof setTimeout> | null = null;

  constructor(client: RedisClient) {
    this.#client = client;
  }

  /** Whether the subscriber connection is open (for tests and diagnostics). */
  get connected(): boolean {
    return this.#connection !== null;
  }

  listen(channelName: string, onMessage: () => void): Listening {
    if (this.#linger !== null) {
      clearTimeout(this.#linger);
      this.#linger = null;
    }
    let channel = this.#channels.get(channelName);
    if (!channel) {
      const connection = this.#connect();
      const subscribed = connection.subscribe(channelName).then(
        () => undefined,
        () => {
          // Let the next waiter try again; this one polls.
          if (this.#channels.get(channelName) === channel) this.#channels.delete(channelName);
        },
      );
      channel = { listeners: new Set(), subscribed };
      this.#channels.set(channelName, channel);
    }
    const listener = () => onMessage();
    channel.listeners.add(listener);
    const own = channel;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ready = Promise.race([
      own.subscribed,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS))),
    ]).finally(() => clearTimeout(timer));
    return {
      ready,
      close: () => {
        if (!own.listeners.delete(listener) || own.listeners.size > 0) return;
        if (this.#channels.get(channelName) === own) {
          this.#channels.delete(channelName);
          this.#connection?.unsubscribe(channelName).catch(() => {});
        }
        if (this.#channels.size === 0) this.#scheduleClose();
      },
    };
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
    connection.on('message', (channel, _message) => {
      const entry = this.#channels.get(channel);
      if (entry) for (const listener of entry.listeners) listener();
    });
    this.#connection = connection;
    watchClient(this.#client, this);
    return connection;
  }

  #scheduleClose(): void {
    if (this.#linger !== null) return;
    this.#linger = setTimeout(() => {
      this.#linger = null;
      if (this.#channels.size === 0) this.#close();
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
    unwatchClient(this.#client, this);
    this.#channels.clear();
    connection?.disconnect();
  }
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
