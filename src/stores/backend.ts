// What a backend folder tells createStore() and createPermitStore(): the DSNs it accepts,
// how to build a store from one, and which client objects it recognises. The two create
// functions only walk their lists (backends.ts, permit-backends.ts) through fromBackends(),
// so adding a backend is one folder plus one line there.
import { InvalidArgumentError, describeValue } from '../core/errors.js';
import type { PersistingStore } from '../core/store.js';
import type { PermitStore } from '../semaphore/permit-store.js';
import { redactDsn } from './dsn.js';

export interface Backend<S> {
  /** Shown in the "expected …" list of an unsupported DSN, e.g. `redis://…`. */
  readonly dsnForms: readonly string[];
  /** True when this backend owns the DSN (by scheme); it may still reject it as invalid. */
  accepts(dsn: string): boolean;
  /** The store for an accepted DSN; throws InvalidArgumentError naming what is wrong (passwords redacted). */
  fromDsn(dsn: string): S;
  /** True for a client object this backend can use (structural check, no driver import). */
  isClient?(client: object): boolean;
  fromClient?(client: object): S;
  /** Shown in the error for an object no backend recognises, e.g. `an ioredis client`. */
  readonly clientForm?: string;
}

export type StoreBackend = Backend<PersistingStore>;
export type PermitBackend = Backend<PermitStore>;

/** How create…() names itself and what it makes, for its errors. */
export interface BackendCall {
  /** e.g. "createStore()" */
  call: string;
  /** e.g. "store DSN" */
  dsn: string;
  /** Added to the error for an object no backend recognises. */
  objectHint?: string;
  /** DSNs a caller may know from Symfony that are named as unsupported, not unknown. */
  unsupported?: RegExp;
}

/** The store the first backend that accepts `dsnOrClient` builds; else an error listing the accepted forms. */
export function fromBackends<S>(backends: readonly Backend<S>[], dsnOrClient: unknown, what: BackendCall): S {
  if (typeof dsnOrClient !== 'string') {
    if (dsnOrClient !== null && typeof dsnOrClient === 'object') {
      for (const backend of backends) {
        if (backend.isClient?.(dsnOrClient) && backend.fromClient) return backend.fromClient(dsnOrClient);
      }
    }
    const forms = backends.flatMap((b) => (b.clientForm ? [b.clientForm] : []));
    const clients = forms.length > 0 ? ` or a client object (${forms.join(', ')})` : '';
    throw new InvalidArgumentError(`${what.call} needs a DSN string${clients}; got ${describeValue(dsnOrClient)}.${what.objectHint ?? ''}`);
  }
  const dsn = dsnOrClient.trim();
  for (const backend of backends) {
    if (backend.accepts(dsn)) return backend.fromDsn(dsn);
  }
  if (what.unsupported?.test(dsn)) {
    const scheme = dsn.slice(0, dsn.indexOf(':'));
    throw new InvalidArgumentError(`Unsupported ${what.dsn} "${redactDsn(dsn)}": lockwright has no "${scheme}" store yet.`);
  }
  const forms = backends.flatMap((b) => b.dsnForms);
  const expected = forms.length > 1 ? `${forms.slice(0, -1).join(', ')} or ${forms.at(-1)}` : forms.join('');
  throw new InvalidArgumentError(`Unsupported ${what.dsn} "${redactDsn(dsn)}" (expected ${expected}).`);
}
