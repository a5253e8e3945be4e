// postgresql+advisory://, pgsql+advisory:// (and postgres+advisory://) DSNs, as
// Symfony's DoctrineDbalPostgreSqlStore reads them: the "+advisory" suffix picks the
// advisory-lock store, the rest is an ordinary PostgreSQL URL. Parsed into `pg.Client`
// options; the server URL is read by ../server-dsn.ts (errors that name what is wrong
// and never show a password), PostgreSQL's own options here.
import { connectTimeoutMs, parseServerDsn } from '../server-dsn.js';

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
  const form = 'postgresql+advisory://[user[:password]@]host[:port][/database][?options]';
  const { parts, options, fail } = parseServerDsn(dsn, ADVISORY_SCHEME, 'PostgreSQL', form);
  const config: PgConnectionConfig = { application_name: 'lockwright', ...parts };
  for (const [name, value] of options) {
    switch (name) {
      case 'sslmode':
        if (value === 'disable') config.ssl = false;
        else if (value === 'require' || value === 'no-verify') config.ssl = { rejectUnauthorized: false };
        else if (value === 'verify-full') config.ssl = { rejectUnauthorized: true };
        else throw fail(`option "sslmode" must be disable, require, no-verify or verify-full, got "${value}"`);
        break;
      case 'connect_timeout':
        config.connectionTimeoutMillis = connectTimeoutMs(value, fail);
        break;
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
