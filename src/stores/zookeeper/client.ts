// What ZookeeperStore needs from a client, typed structurally so that importing
// lockwright never needs node-zookeeper-client (an optional peer dependency): the
// callback methods of its `Client` (1.1.x), and a promise view of them in which every
// call is bounded by a timeout. The bound matters: the client queues requests while it
// is disconnected, with no timeout of its own, so a server that is away (or one that
// accepted the connection but never completes the handshake) would hold a lock
// operation forever.
import { LockStorageError } from '../../core/errors.js';

type Callback<T extends unknown[]> = (error: unknown, ...results: T) => void;
export type Watcher = (event: unknown) => void;

export interface ZookeeperStat {
  readonly version?: number;
}

/** The node-zookeeper-client `Client` methods ZookeeperStore uses. */
export interface ZookeeperClient {
  create(path: string, data: Buffer, mode: number, callback: Callback<[string]>): void;
  getData(path: string, callback: Callback<[Buffer | undefined, ZookeeperStat]>): void;
  exists(path: string, watcher: Watcher, callback: Callback<[ZookeeperStat | null]>): void;
  remove(path: string, version: number, callback: Callback<[]>): void;
  getChildren(path: string, callback: Callback<[string[]]>): void;
  getState(): { readonly name: string; readonly code: number };
  getSessionTimeout(): number;
  on(event: 'connected' | 'disconnected' | 'expired', listener: () => void): unknown;
  removeListener(event: string, listener: () => void): unknown;
  connect?(): void;
  close?(): void;
}

export function isZookeeperClient(value: unknown): value is ZookeeperClient {
  if (typeof value !== 'object' || value === null) return false;
  const client = value as Record<string, unknown>;
  return ['create', 'getData', 'exists', 'remove', 'getChildren', 'getState', 'on'].every((m) => typeof client[m] === 'function');
}

/** node-zookeeper-client's CreateMode values (the ZooKeeper protocol's). */
export const CreateMode = { PERSISTENT: 0, EPHEMERAL: 1, EPHEMERAL_SEQUENTIAL: 3 } as const;

/** ZooKeeper error codes the store tells apart. */
export const Code = {
  CONNECTION_LOSS: -4,
  NO_NODE: -101,
  NODE_EXISTS: -110,
  NOT_EMPTY: -111,
  SESSION_EXPIRED: -112,
} as const;

export function codeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A call that got no answer in time (the client may still send it later). */
export class ZookeeperTimeoutError extends Error {}

/** The client's methods as promises, each bounded by `timeout` ms. */
export class ZookeeperOps {
  constructor(
    readonly client: ZookeeperClient,
    readonly timeout: number,
  ) {}

  #call<T extends unknown[]>(what: string, run: (callback: Callback<T>) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ZookeeperTimeoutError(`no answer to ${what} within ${this.timeout} ms (is the server reachable?)`)),
        this.timeout,
      );
      try {
        run((error, ...results) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve(results);
        });
      } catch (error) {
        clearTimeout(timer);
        reject(error);
      }
    });
  }

  async create(path: string, data: Buffer, mode: number): Promise<string> {
    const [created] = await this.#call<[string]>('create', (cb) => this.client.create(path, data, mode, cb));
    return created;
  }

  /** The node's data, or null when there is no node. */
  async getData(path: string): Promise<Buffer | null> {
    try {
      const [data] = await this.#call<[Buffer | undefined, ZookeeperStat]>('getData', (cb) => this.client.getData(path, cb));
      return data ?? Buffer.alloc(0);
    } catch (error) {
      if (codeOf(error) === Code.NO_NODE) return null;
      throw error;
    }
  }

  /** Whether the node exists; `watcher` fires once when it is created, changed or deleted. */
  async exists(path: string, watcher: Watcher): Promise<boolean> {
    const [stat] = await this.#call<[ZookeeperStat | null]>('exists', (cb) => this.client.exists(path, watcher, cb));
    return stat !== null && stat !== undefined;
  }

  /** Removes the node; false when there was none. */
  async remove(path: string): Promise<boolean> {
    try {
      await this.#call<[]>('remove', (cb) => this.client.remove(path, -1, cb));
      return true;
    } catch (error) {
      if (codeOf(error) === Code.NO_NODE) return false;
      throw error;
    }
  }

  async getChildren(path: string): Promise<string[]> {
    const [children] = await this.#call<[string[]]>('getChildren', (cb) => this.client.getChildren(path, cb));
    return children;
  }
}

/** A ZooKeeper failure as the store reports it; `cause` keeps the client's error. */
export function storageError(action: string, resource: string, cause: unknown): LockStorageError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new LockStorageError(`ZooKeeper failed to ${action} the "${resource}" lock: ${detail}`, { cause });
}
