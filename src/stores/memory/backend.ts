// in-memory and null DSNs, for createStore().
import type { StoreBackend } from '../backend.js';
import { InMemoryStore } from './in-memory-store.js';
import { NullStore } from './null-store.js';

export const inMemoryBackend: StoreBackend = {
  dsnForms: ['in-memory'],
  accepts: (dsn) => dsn === 'in-memory',
  fromDsn: () => new InMemoryStore(),
};

export const nullBackend: StoreBackend = {
  dsnForms: ['null'],
  accepts: (dsn) => dsn === 'null',
  fromDsn: () => new NullStore(),
};
