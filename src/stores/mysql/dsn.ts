// mysql+advisory:// and mariadb+advisory:// DSNs (Symfony 8.2's MysqlStore DSN), parsed
// into mysql2 connection options, with errors that name what is wrong and never show a
// password.
import { InvalidArgumentError } from '../../core/errors.js';
import { decodeDsnPart, redactDsn } from '../dsn.js';

export const ADVISORY_SCHEME = /^(mysql|mariadb)\+advisory:/i;

/** Options for mysql2's createConnection(). */
export interface MysqlConnectionConfig {
  host?: string;
  port?: number;
  socketPath?: string;
  user?: string;
  password?: string;
  database?: string;
  connectTimeout?: number;
}

export function parseMysqlAdvisoryDsn(dsn: string): MysqlConnectionConfig {
  const fail = (why: string) => new InvalidArgumentError(`Invalid MySQL DSN "${redactDsn(dsn)}": ${why}.`);
  const form = 'mysql+advisory://[user[:password]@]host[:port][/database][?options]';
  if (!ADVISORY_SCHEME.test(dsn)) throw fail(`expected ${form}`);
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw fail(`it is not a valid URL (expected ${form})`);
  }
  const config: MysqlConnectionConfig = {};
  if (url.hostname) config.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (url.port) config.port = Number(url.port);
  if (url.username) config.user = decodeDsnPart(url.username, dsn);
  if (url.password) config.password = decodeDsnPart(url.password, dsn);
  const database = url.pathname.replace(/^\//, '');
  if (database.includes('/')) throw fail(`the path must be one database name, got "${database}"`);
  if (database) config.database = decodeDsnPart(database, dsn);
  for (const [name, value] of url.searchParams) {
    switch (name) {
      case 'connect_timeout': {
        const seconds = Number(value);
        if (value === '' || !Number.isFinite(seconds) || seconds <= 0) {
          throw fail(`option "connect_timeout" must be a positive number of seconds, got "${value}"`);
        }
        config.connectTimeout = Math.ceil(seconds * 1000);
        break;
      }
      case 'socket':
        config.socketPath = value;
        break;
      default:
        throw fail(`unknown option "${name}" (known: connect_timeout, socket)`);
    }
  }
  if (config.host === undefined && config.socketPath === undefined) throw fail('it names no host (give one, or ?socket=/path/to/mysqld.sock)');
  return config;
}
