// Every backend createPermitStore() knows, in the order they are tried. A backend folder
// that has a permit store exports its PermitBackend from its backend.ts; add it here.
import type { PermitStore } from '../semaphore/permit-store.js';
import { lockPermitBackend } from './lock-permits.js';

/** What a backend folder tells createPermitStore() (the permit-store twin of StoreBackend). */
export interface PermitBackend {
  /** Shown in the "expected …" list of an unsupported DSN, e.g. `redis://…`. */
  readonly dsnForms: readonly string[];
  /** True when this backend owns the DSN (by scheme); it may still reject it as invalid. */
  accepts(dsn: string): boolean;
  /** The permit store for an accepted DSN; throws InvalidArgumentError naming what is wrong (passwords redacted). */
  fromDsn(dsn: string): PermitStore;
  /** True for a client object this backend can use (structural check, no driver import). */
  isClient?(client: object): boolean;
  fromClient?(client: object): PermitStore;
  /** Shown in the error for an object no backend recognises, e.g. `an ioredis client`. */
  readonly clientForm?: string;
}

export const PERMIT_BACKENDS: readonly PermitBackend[] = [lockPermitBackend];
