// ZookeeperStore: Symfony's ZookeeperStore (an ephemeral node per lock, at Symfony's
// path, holding the token: paths.ts), so that PHP and Node holders exclude each other,
// plus what Symfony lacks: a blocking wait that is a real FIFO queue kept by the server
// (wait-queue.ts), and locks that know when their session is gone (session.ts). Locks
// do not expire: they live as long as the session, and putOffExpiration is a no-op.
import { InvalidArgumentError, LockConflictedError, LockReleasingError, describeValue } from '../../core/errors.js';
import { validateTimeout } from '../../core/duration.js';
import type { Key } from '../../core/key.js';
import type { BlockingStore, VerifiedDeleteStore, WaitOptions } from '../../core/store.js';
import { Code, CreateMode, ZookeeperTimeoutError, codeOf, isZookeeperClient, storageError, type ZookeeperClient } from './client.js';
import { WAITER_PREFIX, lockNode, queueFolder } from './paths.js';
import { ZookeeperSession } from './session.js';
import { waitInQueue } from './wait-queue.js';
import { heldByAnother, positiveMs, symfonyToken } from '../key-state.js';

const TOKEN = 'lockwright:zookeeper:token';

export interface ZookeeperStoreOptions {
  /** Longest wait in ms for one ZooKeeper call before it fails with LockStorageError. Default: the session timeout. */
  operationTimeout?: number;
  /** A connection that has not completed its handshake after this many ms is dropped and retried. Default 2,000. */
  handshakeTimeout?: number;
}

/** What createStore() passes for a client it made: the store then owns (and renews) it. */
export interface OwnedClient {
  renew: () => ZookeeperClient;
}

const OPTION_NAMES = ['operationTimeout', 'handshakeTimeout'];

export class ZookeeperStore implements BlockingStore, VerifiedDeleteStore {
  /** delete() resolves only once this key's node is gone: Lock.release() skips exists(). */
  readonly verifiesDelete = true;
  readonly #session: ZookeeperSession;
  readonly #owned: boolean;
  /** Per lock node: the promise that the last waiter of this process to arrive has its place. */
  readonly #entering = new Map<string, Promise<void>>();

  /** `client`: a node-zookeeper-client `Client` (connected, or connecting). */
  constructor(client: ZookeeperClient, options: ZookeeperStoreOptions = {}, owned?: OwnedClient) {
    if (!isZookeeperClient(client)) {
      throw new InvalidArgumentError(`ZookeeperStore needs a node-zookeeper-client Client; got ${describeValue(client)}.`);
    }
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`ZookeeperStore options must be an object; got ${describeValue(options)}.`);
    }
    const unknown = Object.keys(options).filter((name) => !OPTION_NAMES.includes(name));
    if (unknown.length > 0) {
      throw new InvalidArgumentError(`Unknown ZookeeperStore option "${unknown[0]}" (known: ${OPTION_NAMES.join(', ')}).`);
    }
    const operationTimeout = positiveMs(options.operationTimeout ?? client.getSessionTimeout(), 'operationTimeout');
    const handshakeTimeout = positiveMs(options.handshakeTimeout ?? 2_000, 'handshakeTimeout');
    this.#owned = owned !== undefined;
    this.#session = new ZookeeperSession(client, { operationTimeout, handshakeTimeout, ...(owned ? { renew: owned.renew } : {}) });
  }

  /**
   * Stops watching the session (held locks are reported lost). A store made by
   * createStore() from a DSN also closes its client, which ends the session and frees
   * its locks at once; a client you passed in stays yours to close.
   */
  async close(): Promise<void> {
    this.#session.close(this.#owned);
  }

  async save(key: Key): Promise<void> {
    if (!(await this.#tryCreate(key))) throw heldByAnother(key);
  }

  async waitAndSave(key: Key, options: WaitOptions = {}): Promise<void> {
    if (options.timeout !== undefined) validateTimeout(options.timeout, 'options.timeout');
    options.signal?.throwIfAborted();
    // Waiters of this process enter one at a time per lock (check the queue, try, take a
    // place), so their places follow the order of their calls whatever the round trips do.
    const path = lockNode(key.resource);
    const ahead = this.#entering.get(path);
    let entered!: () => void;
    const mine = new Promise<void>((resolve) => (entered = resolve));
    this.#entering.set(path, mine);
    let done = false;
    const enter = () => {
      if (done) return;
      done = true;
      if (this.#entering.get(path) === mine) this.#entering.delete(path);
      entered();
    };
    try {
      if (ahead) await ahead;
      await this.#enterAndWait(key, options, enter);
    } finally {
      enter();
    }
  }

  async #enterAndWait(key: Key, options: WaitOptions, enter: () => void): Promise<void> {
    options.signal?.throwIfAborted();
    // A free lock is taken at once, unless others already queue for it: a waiter that
    // tried first would overtake them every time it releases and comes back (8 processes
    // measured 0.27 min/max per process that way). Then the waiter joins the queue.
    if (await this.#othersQueue(key)) {
      // Already ours (an acquire of a held lock): queueing behind waiters for our own
      // node would wait for ourselves.
      if (key.hasState(TOKEN) && (await this.exists(key))) return;
    } else if (await this.#tryCreate(key)) return;
    if (options.timeout === 0) throw new LockConflictedError(`Timed out after 0 ms waiting for the "${key.resource}" lock.`);
    const taker = { take: () => this.#tryCreate(key), giveBack: () => this.delete(key) };
    try {
      await waitInQueue(this.#session, lockNode(key.resource), taker, options, `the "${key.resource}" lock`, enter);
    } catch (error) {
      if (error instanceof LockConflictedError || error === options.signal?.reason) throw error;
      throw error instanceof Error && 'code' in error && typeof error.code === 'string' ? error : storageError('acquire', key.resource, error);
    }
  }

  /** Locks live as long as the session: nothing to extend (Symfony does the same). */
  async putOffExpiration(): Promise<void> {}

  async delete(key: Key): Promise<void> {
    const token = key.getState<string | undefined>(TOKEN);
    if (token === undefined) return;
    const path = lockNode(key.resource);
    try {
      const data = await this.#session.ops.getData(path);
      // Our ephemeral node cannot be replaced while our session lives: if it holds our
      // token, it is ours to remove.
      if (data !== null && data.toString() === token) await this.#session.ops.remove(path);
    } catch (error) {
      throw new LockReleasingError(`ZooKeeper failed to release the "${key.resource}" lock.`, { cause: storageError('release', key.resource, error) });
    }
    this.#session.released(path, key);
  }

  async exists(key: Key): Promise<boolean> {
    const token = key.getState<string | undefined>(TOKEN);
    if (token === undefined) return false;
    try {
      const data = await this.#session.ops.getData(lockNode(key.resource));
      return data !== null && data.toString() === token;
    } catch (error) {
      throw storageError('check', key.resource, error);
    }
  }

  /** Whether any waiter (of any process) queues for `key`'s lock now. */
  async #othersQueue(key: Key): Promise<boolean> {
    try {
      const children = await this.#session.ops.getChildren(queueFolder(lockNode(key.resource)));
      return children.some((child) => child.startsWith(WAITER_PREFIX));
    } catch (error) {
      if (codeOf(error) === Code.NO_NODE) return false;
      throw storageError('acquire', key.resource, error);
    }
  }

  /** One try: true when the lock node was created for `key` (or already held by it). */
  async #tryCreate(key: Key): Promise<boolean> {
    const path = lockNode(key.resource);
    const token = symfonyToken(key, TOKEN);
    key.markUnserializable(); // the lock belongs to this process's session
    try {
      await this.#session.ops.create(path, Buffer.from(token), CreateMode.EPHEMERAL);
    } catch (error) {
      if (codeOf(error) !== Code.NODE_EXISTS) {
        if (error instanceof ZookeeperTimeoutError) this.#session.reclaimLater(path, key, token);
        throw storageError('acquire', key.resource, error);
      }
      if (!(await this.exists(key))) return false;
    }
    this.#session.hold(path, key, token);
    return true;
  }
}



