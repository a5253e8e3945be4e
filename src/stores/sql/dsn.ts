// SqlStore's DSNs: postgres:// and postgresql:// (pg), mysql:// and mariadb:// (mysql2),
// sqlite:///absolute/file.db and sqlite::memory: (better-sqlite3). The +advisory forms
// (postgresql+advisory://, mysql+advisory://) belong to the advisory-lock stores.
// Every message shows the DSN redacted; the password is also handed to the store, which
// blots it out of any driver message that might echo it.
import { isAbsolute } from 'node:path';
import { InvalidArgumentError } from '../../core/errors.js';
import { decodeDsnPart, redactDsn } from '../dsn.js';

export type ParsedSqlDsn =
  | { dialect: 'postgres'; connectionString: string; secrets: string[] }
  | { dialect: 'mysql'; uri: string; secrets: string[] }
  | { dialect: 'sqlite'; file: string; secrets: string[] };

export const SQL_DSN = /^(postgres|postgresql|mysql|mariadb|sqlite):/i;

export function parseSqlDsn(dsn: string): ParsedSqlDsn {
  const scheme = dsn.slice(0, dsn.indexOf(':')).toLowerCase();
  if (scheme === 'sqlite') return parseSqliteDsn(dsn);
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw invalid(dsn, `expected ${scheme}://[user[:password]@]host[:port]/database`);
  }
  if (!dsn.slice(scheme.length).startsWith('://') || url.hostname === '') {
    throw invalid(dsn, `expected ${scheme}://[user[:password]@]host[:port]/database`);
  }
  if (url.port !== '' && !(Number(url.port) >= 1 && Number(url.port) <= 65535)) {
    throw invalid(dsn, `the port must be a number from 1 to 65535`);
  }
  const secrets = url.password === '' ? [] : [url.password, decodeDsnPart(url.password, dsn)];
  if (scheme === 'postgres' || scheme === 'postgresql') {
    return { dialect: 'postgres', connectionString: dsn, secrets };
  }
  if (url.pathname.length <= 1) throw invalid(dsn, 'a MySQL/MariaDB DSN must name the database: mysql://host/database');
  return { dialect: 'mysql', uri: `mysql:${dsn.slice(scheme.length + 1)}`, secrets };
}

function parseSqliteDsn(dsn: string): ParsedSqlDsn {
  if (dsn === 'sqlite::memory:') return { dialect: 'sqlite', file: ':memory:', secrets: [] };
  const match = /^sqlite:\/\/(\/[^?#]*)$/i.exec(dsn);
  const path = match ? decodeDsnPart(match[1]!, dsn) : '';
  if (!match || !isAbsolute(path) || path.endsWith('/')) {
    throw invalid(dsn, 'expected sqlite:///absolute/path/to/file.db or sqlite::memory:');
  }
  return { dialect: 'sqlite', file: path, secrets: [] };
}

function invalid(dsn: string, detail: string): InvalidArgumentError {
  // redactDsn() knows userinfo after "scheme://" only: a malformed DSN loses all of it.
  const shown = /^[a-z][a-z0-9+.-]*:\/\//i.test(dsn) ? redactDsn(dsn) : dsn.replace(/^([^:]*:).*@/s, '$1***@');
  return new InvalidArgumentError(`Invalid store DSN "${shown}": ${detail}.`);
}
