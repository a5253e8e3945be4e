// mysql+advisory:// and mariadb+advisory:// DSNs (Symfony 8.2's MysqlStore DSN), parsed
// into mysql2 connection options: the server URL is read by ../server-dsn.ts (errors that
// name what is wrong and never show a password), MySQL's own options here.
import { connectTimeoutMs, parseServerDsn } from '../server-dsn.js';

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
  const form = 'mysql+advisory://[user[:password]@]host[:port][/database][?options]';
  const { parts, options, fail } = parseServerDsn(dsn, ADVISORY_SCHEME, 'MySQL', form);
  const config: MysqlConnectionConfig = { ...parts };
  for (const [name, value] of options) {
    switch (name) {
      case 'connect_timeout':
        config.connectTimeout = connectTimeoutMs(value, fail);
        break;
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
