// mysql+advisory:// and mariadb+advisory:// DSNs, for createStore(). Connection objects
// are not claimed here: createStore(mysqlConnection) builds the table store (SqlStore);
// pass a connection to `new MysqlStore()`.
import type { StoreBackend } from '../backend.js';
import { ADVISORY_SCHEME } from './dsn.js';
import { MysqlStore } from './mysql-store.js';

export const mysqlAdvisoryBackend: StoreBackend = {
  dsnForms: ['mysql+advisory://…', 'mariadb+advisory://…'],
  accepts: (dsn) => ADVISORY_SCHEME.test(dsn),
  fromDsn: (dsn) => new MysqlStore(dsn),
};
