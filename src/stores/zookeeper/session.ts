// The ZooKeeper session behind a ZookeeperStore, and what its life means for locks.
// Ephemeral nodes live exactly as long as the session, not the TCP connection:
// - a reconnect within the session keeps every lock: nothing happens;
// - the server saying the session expired means every lock is gone: each held key is
//   reported lost (core/key-loss.ts aborts its Lock's signal), and a store that owns its
//   client (made from a DSN) opens a new session for what follows;
// - a disconnection longer than the session timeout is treated as a loss too (as
//   Curator does): the server may have expired the session and given the lock to
//   someone else meanwhile. A store that owns its client then starts a new session; on
//   a client of yours, should the session come back after all, the nodes of those
//   locks are removed at once, so that no lock stays held by nobody.
// And the known trap: ZooKeeper 3.8.0 accepts connections before its database is loaded,
// fails the handshake (NullPointerException, zkDb is null) and leaves the connection
// open, while node-zookeeper-client 1.1.3 waits for the handshake reply with no timeout.
// A watchdog drops a connection that did not complete its handshake in time, so that the
// client tries again (as the Java client's connect timeout does).
import { LockStorageError } from '../../core/errors.js';
import { reportKeyLost } from '../../core/key-loss.js';
import type { Key } from '../../core/key.js';
import { ZookeeperOps, type ZookeeperClient } from './client.js';

const SYNC_CONNECTED = 3;

export interface SessionOptions {
  /** Bound on every call, in ms. */
  operationTimeout: number;
  /** A connection not through its handshake after this many ms is dropped and retried. */
  handshakeTimeout: number;
  /** For a store that owns its client: a new client (connecting) after the session expired. */
  renew?: () => ZookeeperClient;
}

interface Held {
  key: Key;
  token: string;
}

export class ZookeeperSession {
  #client!: ZookeeperClient;
  #ops!: ZookeeperOps;
  readonly #options: SessionOptions;
  /** Locks held in this session, by node path. */
  readonly #held = new Map<string, Held>();
  /** Locks reported lost while disconnected: removed if the session comes back. */
  readonly #orphans = new Map<string, string>();
  #lostTimer: ReturnType<typeof setTimeout> | null = null;
  #watchdog: ReturnType<typeof setInterval> | null = null;
  #closed = false;
  /** Called on every connection change (waiters re-check their place). */
  readonly #changes = new Set<() => void>();
  readonly #detach: Array<() => void> = [];

  constructor(client: ZookeeperClient, options: SessionOptions) {
    this.#options = options;
    this.#attach(client);
  }

  get ops(): ZookeeperOps {
    return this.#ops;
  }

  get connected(): boolean {
    return this.#client.getState().code === SYNC_CONNECTED;
  }

  hold(path: string, key: Key, token: string): void {
    this.#held.set(path, { key, token });
  }

  released(path: string, key: Key): void {
    if (this.#held.get(path)?.key === key) this.#held.delete(path);
  }

  /**
   * A create of `path` for `key` got no answer in time, but may still land: the node
   * would then be held by this session for nobody. Once the call has surely been
   * answered, remove it, unless `key` took the lock meanwhile.
   */
  reclaimLater(path: string, key: Key, token: string): void {
    const timer = setTimeout(() => {
      void (async () => {
        try {
          const data = await this.#ops.getData(path);
          if (data !== null && data.toString() === token && this.#held.get(path)?.key !== key) await this.#ops.remove(path);
        } catch {
          // Gone with the session at the latest.
        }
      })();
    }, this.#options.operationTimeout);
    timer.unref();
  }

  /** `listener` runs on each connection change until the returned function is called. */
  onChange(listener: () => void): () => void {
    this.#changes.add(listener);
    return () => this.#changes.delete(listener);
  }

  close(ownClient: boolean): void {
    this.#closed = true;
    this.#stopTimers();
    for (const detach of this.#detach.splice(0)) detach();
    this.#loseAll(new LockStorageError('The ZooKeeper store was closed.'));
    if (ownClient) this.#client.close?.();
  }

  #attach(client: ZookeeperClient): void {
    this.#client = client;
    this.#ops = new ZookeeperOps(client, this.#options.operationTimeout);
    const on = (event: 'connected' | 'disconnected' | 'expired', listener: () => void) => {
      client.on(event, listener);
      this.#detach.push(() => client.removeListener(event, listener));
    };
    on('connected', () => this.#onConnected(client));
    on('disconnected', () => this.#onDisconnected(client));
    on('expired', () => this.#onExpired(client));
    if (!this.connected) this.#armWatchdog(client);
  }

  #onConnected(client: ZookeeperClient): void {
    if (client !== this.#client) return;
    this.#stopTimers();
    // The session survived a loss we had already reported: free those locks now.
    for (const [path, token] of this.#orphans) void this.#removeOrphan(path, token);
    this.#orphans.clear();
    this.#notify();
  }

  #onDisconnected(client: ZookeeperClient): void {
    if (client !== this.#client || this.#closed) return;
    this.#armWatchdog(client);
    if (this.#lostTimer === null) {
      const timeout = client.getSessionTimeout();
      this.#lostTimer = setTimeout(() => {
        this.#lostTimer = null;
        for (const [path, held] of this.#held) this.#orphans.set(path, held.token);
        this.#loseAll(
          new LockStorageError(`Disconnected from ZooKeeper for longer than the session timeout (${timeout} ms): the session may have expired.`),
        );
        // An owned client starts afresh: the old session, if the server still has it,
        // expires there by itself (and its nodes with it). This also gets past a server
        // that lost its data, which refuses the old client (it has seen a newer zxid).
        if (this.#options.renew) {
          this.#orphans.clear();
          this.#renew(client);
          this.#notify();
        }
      }, timeout);
      this.#lostTimer.unref();
    }
    this.#notify();
  }

  #onExpired(client: ZookeeperClient): void {
    if (client !== this.#client || this.#closed) return;
    this.#stopTimers();
    this.#orphans.clear(); // gone with the session
    this.#loseAll(new LockStorageError('The ZooKeeper session expired: its locks are gone.'));
    if (this.#options.renew) this.#renew(client);
    this.#notify();
  }

  #renew(client: ZookeeperClient): void {
    this.#stopTimers();
    for (const detach of this.#detach.splice(0)) detach();
    client.close?.();
    this.#attach(this.#options.renew!());
  }

  #loseAll(error: LockStorageError): void {
    const held = [...this.#held.values()];
    this.#held.clear();
    for (const { key } of held) {
      reportKeyLost(key, new LockStorageError(`${error.message} (the "${key.resource}" lock)`, { cause: error }));
    }
  }

  async #removeOrphan(path: string, token: string): Promise<void> {
    try {
      const data = await this.#ops.getData(path);
      if (data !== null && data.toString() === token) await this.#ops.remove(path);
    } catch {
      // The session ends some day, and the node with it.
    }
  }

  /** While not connected: drop a connection stuck before its handshake reply, so the client retries. */
  #armWatchdog(client: ZookeeperClient): void {
    if (this.#watchdog !== null) return;
    let stuckSince: unknown = null;
    this.#watchdog = setInterval(() => {
      if (client !== this.#client || this.connected) {
        this.#stopWatchdog();
        return;
      }
      // node-zookeeper-client keeps its socket on `connectionManager` (1.1.x); another
      // client without it gets the operation timeouts alone.
      const socket = (client as { connectionManager?: { socket?: { destroy(): void; readyState?: string } } }).connectionManager?.socket;
      if (!socket || socket.readyState !== 'open') {
        stuckSince = null;
        return;
      }
      if (stuckSince === socket) socket.destroy();
      else stuckSince = socket;
    }, this.#options.handshakeTimeout);
    this.#watchdog.unref();
  }

  #stopWatchdog(): void {
    if (this.#watchdog !== null) clearInterval(this.#watchdog);
    this.#watchdog = null;
  }

  #stopTimers(): void {
    this.#stopWatchdog();
    if (this.#lostTimer !== null) clearTimeout(this.#lostTimer);
    this.#lostTimer = null;
  }

  #notify(): void {
    for (const listener of [...this.#changes]) listener();
  }
}
