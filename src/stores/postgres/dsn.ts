// postgresql+advisory://, pgsql+advisory:// (and postgres+advisory://) DSNs, as
// Symfony's DoctrineDbalPostgreSqlStore reads them: the "+advisory" suffix picks the
// advisory-lock store, the rest is an ordinary PostgreSQL URL. Parsed into `pg.Client`
// options, with errors that name what is wrong and never show a password.
import { InvalidArgumentError } from '../../core/errors.js';
import { decodeDsnPart, redactDsn } from '../dsn.js';

export const ADVISORY_SCHEME = /^(postgres|postgresql|pgsql)\+advisory:/i;

const KNOWN = 'sslmode, connect_timeout, application_name, host';

/** Options for `new pg.Client(…)`. */
export interface PgConnectionConfig {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  ssl?: boolean | { rejectUnauthorized: boolean };
  connectionTimeoutMillis?: number;
  application_name: string;
}

export function parsePostgresAdvisoryDsn(dsn: string): PgConnectionConfig {
  const fail = (why: string) => new InvalidArgumentError(`Invalid PostgreSQL DSN "${redactDsn(dsn)}": ${why}.`);
  if (!ADVISORY_SCHEME.test(dsn)) throw fail('expected postgresql+advisory://[user[:password]@]host[:port][/database][?options]');
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw fail('it is not a valid URL (expected postgresql+advisory://[user[:password]@]host[:port][/database][?options])');
  }
  const config: PgConnectionConfig = { application_name: 'lockwright' };
  if (url.hostname) config.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (url.port) config.port = Number(url.port);
  if (url.username) config.user = decodeDsnPart(url.username, dsn);
  if (url.password) config.password = decodeDsnPart(url.password, dsn);
  const database = url.pathname.replace(/^\//, '');
  if (database.includes('/')) throw fail(`the path must be one database name, got "${database}"`);
  if (database) config.database = decodeDsnPart(database, dsn);
  for (const [name, value] of url.searchParams) {
    switch (name) {
      case 'sslmode':
        if (value === 'disable') config.ssl = false;
        else if (value === 'require' || value === 'no-verify') config.ssl = { rejectUnauthorized: false };
        else if (value === 'verify-full') config.ssl = { rejectUnauthorized: true };
        else throw fail(`option "sslmode" must be disable, require, no-verify or verify-full, got "${value}"`);
        break;
      case 'connect_timeout': {
        // libpq's unit: seconds.
        const seconds = Number(value);
        if (value === '' || !Number.isFinite(seconds) || seconds <= 0) {
          throw fail(`option "connect_timeout" must be a positive number of seconds, got "${value}"`);
        }
        config.connectionTimeoutMillis = Math.ceil(seconds * 1000);
        break;
      }
      case 'application_name':
        config.application_name = value;
        break;
      case 'host':
        // A unix socket directory: postgresql+advisory:///db?host=/var/run/postgresql
        if (config.host !== undefined) throw fail('the host is given twice (in the URL and as option "host")');
        config.host = value;
        break;
      default:
        throw fail(`unknown option "${name}" (known: ${KNOWN})`);
    }
  }
  if (config.host === undefined) throw fail('it names no host (give one, or ?host=/socket/directory)');
  return config;
}
