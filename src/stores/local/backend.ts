// flock, flock:///dir, semaphore and semaphore://namespace DSNs, for createStore(); and
// semaphore / semaphore://namespace for createPermitStore() (System V counting semaphores).
import { isAbsolute } from 'node:path';
import { InvalidArgumentError } from '../../core/errors.js';
import type { PermitBackend, StoreBackend } from '../backend.js';
import { decodeDsnPart, redactDsn } from '../dsn.js';
import { FlockStore } from './flock-store.js';
import { SemaphoreStore } from './semaphore-store.js';
import { SysvPermitStore } from './sysv-permit-store.js';

export const flockBackend: StoreBackend = {
  dsnForms: ['flock', 'flock:///dir'],
  accepts: (dsn) => dsn === 'flock' || dsn.startsWith('flock://'),
  fromDsn(dsn) {
    if (dsn === 'flock') return new FlockStore();
    const dir = decodeDsnPart(dsn.slice('flock://'.length), dsn);
    if (!isAbsolute(dir)) {
      throw new InvalidArgumentError(`Invalid store DSN "${redactDsn(dsn)}": flock:// needs an absolute directory, as in flock:///var/lock/app.`);
    }
    return new FlockStore(dir);
  },
};

export const semaphoreBackend: StoreBackend = {
  dsnForms: ['semaphore', 'semaphore://namespace'],
  accepts: (dsn) => dsn === 'semaphore' || dsn.startsWith('semaphore://'),
  fromDsn(dsn) {
    if (dsn === 'semaphore') return new SemaphoreStore();
    return new SemaphoreStore({ namespace: decodeDsnPart(dsn.slice('semaphore://'.length), dsn) });
  },
};

/** createPermitStore(): one System V semaphore of N permits per resource (SysvPermitStore). */
export const sysvPermitBackend: PermitBackend = {
  dsnForms: ['semaphore', 'semaphore://namespace'],
  accepts: (dsn) => dsn === 'semaphore' || dsn.startsWith('semaphore://'),
  fromDsn(dsn) {
    if (dsn === 'semaphore') return new SysvPermitStore();
    const rest = dsn.slice('semaphore://'.length);
    if (rest === '') {
      throw new InvalidArgumentError(
        `Invalid permit store DSN "${redactDsn(dsn)}": semaphore:// needs a namespace, as in semaphore://myapp (or write "semaphore" for the default one).`,
      );
    }
    if (/[?#]/.test(rest)) {
      throw new InvalidArgumentError(
        `Invalid permit store DSN "${redactDsn(dsn)}": semaphore:// takes a namespace and no options (percent-encode "?" and "#" in a namespace: %3F, %23).`,
      );
    }
    return new SysvPermitStore({ namespace: decodeDsnPart(rest, dsn) });
  },
};
