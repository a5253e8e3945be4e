// flock, flock:///dir, semaphore and semaphore://namespace DSNs, for createStore().
import { isAbsolute } from 'node:path';
import { InvalidArgumentError } from '../../core/errors.js';
import type { StoreBackend } from '../backend.js';
import { decodeDsnPart, redactDsn } from '../dsn.js';
import { FlockStore } from './flock-store.js';
import { SemaphoreStore } from './semaphore-store.js';

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
