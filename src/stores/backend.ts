// What a backend folder tells createStore(): the DSNs it accepts, how to build a store
// from one, and which client objects it recognises. create-store.ts only walks the list
// in backends.ts, so adding a backend is one folder plus one line there.
import type { PersistingStore } from '../core/store.js';

export interface StoreBackend {
  /** Shown in the "expected …" list of an unsupported DSN, e.g. `redis://…`. */
  readonly dsnForms: readonly string[];
  /** True when this backend owns the DSN (by scheme); it may still reject it as invalid. */
  accepts(dsn: string): boolean;
  /** The store for an accepted DSN; throws InvalidArgumentError naming what is wrong (passwords redacted). */
  fromDsn(dsn: string): PersistingStore;
  /** True for a client object this backend can use (structural check, no driver import). */
  isClient?(client: object): boolean;
  fromClient?(client: object): PersistingStore;
  /** Shown in the error for an object no backend recognises, e.g. `an ioredis client`. */
  readonly clientForm?: string;
}
