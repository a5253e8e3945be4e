// What MemcachedStore needs from a client, typed structurally so that importing
// lockwright never needs a Memcached package (an optional peer dependency). The store
// needs compare-and-swap (`gets`/`cas`): memjs has none, so the client is the
// `memcached` package (3rd-Eden, 2.2.x), whose callback methods are listed below; the
// store talks to it through the small promise interface `MemcachedOps`, so another
// client with CAS only needs another adapter here.
import { LockStorageError } from '../../core/errors.js';

type Callback<T> = (error: unknown, result: T) => void;

/** The methods of a `memcached` (2.2.x) client that MemcachedStore uses. */
export interface MemcachedClient {
  add(key: string, value: string, lifetime: number, callback: Callback<boolean>): void;
  get(key: string, callback: Callback<unknown>): void;
  gets(key: string, callback: Callback<Record<string, unknown> | undefined>): void;
  cas(key: string, value: string, cas: string, lifetime: number, callback: Callback<boolean>): void;
  del(key: string, callback: Callback<boolean>): void;
  end?(): void;
}

/** Does `value` look like a `memcached` package client? */
export function isMemcachedClient(value: unknown): value is MemcachedClient {
  if (typeof value !== 'object' || value === null) return false;
  const client = value as Record<string, unknown>;
  return ['add', 'get', 'gets', 'cas', 'del'].every((name) => typeof client[name] === 'function');
}

/** The store's view of Memcached: lifetimes are Memcached exptimes (whole seconds). */
export interface MemcachedOps {
  /** False when the key exists already. */
  add(key: string, value: string, exptime: number): Promise<boolean>;
  /** The value and its CAS unique, or null when the key is absent. */
  gets(key: string): Promise<{ value: unknown; cas: string } | null>;
  get(key: string): Promise<unknown>;
  /** False when the key changed or vanished since `cas` was read. */
  cas(key: string, value: string, cas: string, exptime: number): Promise<boolean>;
  delete(key: string): Promise<void>;
}

/**
 * MemcachedOps over a `memcached` client. Every call is bounded by `timeout` ms: the
 * client has no command timeout of its own, and a lock operation must never hang on
 * a server that stopped answering. (A late success of `add` is handled by the store.)
 */
export function memcachedOps(client: MemcachedClient, timeout: number): MemcachedOps {
  const call = <T>(run: (callback: Callback<T>) => void, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${what} within ${timeout} ms`)), timeout);
      try {
        run((error, result) => {
          clearTimeout(timer);
          if (error) reject(error instanceof Error ? error : new Error(String(error)));
          else resolve(result);
        });
      } catch (error) {
        clearTimeout(timer);
        reject(error);
      }
    });
  return {
    add: (key, value, exptime) =>
      call<boolean>((cb) => client.add(key, value, exptime, cb), 'add').then(
        (stored) => stored === true,
        (error: unknown) => {
          // The memcached package reports NOT_STORED (the key exists) as an error.
          if ((error as { notStored?: boolean }).notStored === true) return false;
          throw error;
        },
      ),
    gets: async (key) => {
      const data = await call<Record<string, unknown> | undefined>((cb) => client.gets(key, cb), 'gets');
      if (data === undefined || data === null || typeof data !== 'object' || !('cas' in data)) return null;
      // The reply is keyed by the server's key name, which a client `namespace` prefixes.
      const name = key in data ? key : Object.keys(data).find((k) => k !== 'cas');
      return { value: name === undefined ? undefined : data[name], cas: String(data.cas) };
    },
    get: (key) => call<unknown>((cb) => client.get(key, cb), 'get'),
    cas: (key, value, cas, exptime) => call<boolean>((cb) => client.cas(key, value, cas, exptime, cb), 'cas').then((ok) => ok === true),
    delete: async (key) => {
      await call<boolean>((cb) => client.del(key, cb), 'delete');
    },
  };
}

/** A Memcached failure as the store reports it; `cause` keeps the client's error. */
export function storageError(action: string, resource: string, cause: unknown): LockStorageError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new LockStorageError(`Memcached failed to ${action} the "${resource}" lock: ${detail}`, { cause });
}
