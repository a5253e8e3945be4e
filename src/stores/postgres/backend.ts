// postgresql+advisory:// and pgsql+advisory:// DSNs, for createStore(). Client objects
// are not claimed here: createStore(pgClient) builds the table store (SqlStore), as
// Symfony's StoreFactory does for a connection; pass a client to `new PostgreSqlStore()`.
import type { StoreBackend } from '../backend.js';
import { ADVISORY_SCHEME } from './dsn.js';
import { PostgreSqlStore } from './postgresql-store.js';

export const postgresAdvisoryBackend: StoreBackend = {
  dsnForms: ['postgresql+advisory://…', 'pgsql+advisory://…'],
  accepts: (dsn) => ADVISORY_SCHEME.test(dsn),
  fromDsn: (dsn) => new PostgreSqlStore(dsn),
};
