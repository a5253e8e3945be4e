// redis:// and rediss:// DSNs: parsed into ioredis options, with errors that name what
// is wrong and never show a password.
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../../core/errors.js';
import { decodeDsnPart, redactDsn } from '../dsn.js';

export interface RedisDsn {
  cluster: boolean;
  /** host:port pairs (one unless a cluster lists several), or a unix socket path. */
  nodes: Array<{ host: string; port: number }>;
  path?: string;
  /** rediss:// `tls_ca_file`: the CA certificates (PEM) to trust instead of Node's. */
  tlsCaFile?: string;
  options: Record<string, unknown>;
  store: { initialTtl?: number; pollInterval?: number };
}

export function parseRedisDsn(dsn: string): RedisDsn {
  const fail = (why: string) => new InvalidArgumentError(`Invalid Redis DSN "${redactDsn(dsn)}": ${why}.`);
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw fail('it is not a valid URL (expected redis://[[user]:password@]host[:port][/db][?options])');
  }
  // A password's "/", "#" or "?" ends the user info early: what follows, the rest of the
  // password included, lands in the path, query or fragment, where a message naming a
  // bad database or option would show it. Only the user info may hold an "@".
  if ((url.pathname + url.search + url.hash).includes('@')) {
    throw fail(
      'an "@" stands outside the user info: percent-encode the password\'s special characters (%2F for /, %23 for #, %3F for ?, %40 for @)',
    );
  }
  const tls = url.protocol === 'rediss:';
  const options: Record<string, unknown> = { lazyConnect: true, maxRetriesPerRequest: 1 };
  const store: RedisDsn['store'] = {};
  // The server name (SNI, and the name the certificate is checked against by default)
  // is the host; Node refuses an IP address as a server name, and checks IPs as they are.
  const tlsOptions: Record<string, unknown> = {};
  if (url.hostname && isIP(url.hostname.replace(/^\[(.*)\]$/, '$1')) === 0) tlsOptions.servername = url.hostname;
  if (tls) options.tls = tlsOptions;
  const user = decodeDsnPart(url.username, dsn);
  const password = decodeDsnPart(url.password, dsn);
  // Symfony reads redis://secret@host as a password without a user name.
  if (user && !password) options.password = user;
  else {
    if (user) options.username = user;
    if (password) options.password = password;
  }

  const nodes: RedisDsn['nodes'] = [];
  let path: string | undefined;
  if (url.hostname) {
    nodes.push({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port ? Number(url.port) : 6379 });
    const db = url.pathname.replace(/^\//, '');
    if (db !== '') options.db = integer(db, 'the database in the path', fail);
  } else if (url.pathname && url.pathname !== '/') {
    path = decodeDsnPart(url.pathname, dsn); // redis:///run/redis.sock
  }

  let cluster = false;
  let tlsCaFile: string | undefined;
  for (const [name, value] of url.searchParams) {
    const node = /^host\[(.+)\]$/.exec(name);
    if (node) {
      const [, spec] = node;
      const match = /^(.*?)(?::(\d+))?$/.exec(spec!)!;
      nodes.push({ host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port: match[2] ? Number(match[2]) : 6379 });
      continue;
    }
    switch (name) {
      case 'db':
      case 'dbindex':
        options.db = integer(value, `option "${name}"`, fail);
        break;
      case 'redis_cluster':
        cluster = flag(value, name, fail);
        break;
      case 'connect_timeout':
        options.connectTimeout = integer(value, `option "${name}" (ms)`, fail);
        break;
      case 'command_timeout':
        options.commandTimeout = integer(value, `option "${name}" (ms)`, fail);
        break;
      case 'max_retries':
        options.maxRetriesPerRequest = integer(value, `option "${name}"`, fail);
        break;
      case 'offline_queue':
        options.enableOfflineQueue = flag(value, name, fail);
        break;
      case 'initial_ttl':
        store.initialTtl = positive(value, name, fail);
        break;
      case 'poll_interval':
        store.pollInterval = positive(value, name, fail);
        break;
      case 'tls_ca_file':
        if (!tls) throw fail(`option "${name}" needs rediss://`);
        if (!value.startsWith('/')) throw fail(`option "${name}" must be an absolute path to a PEM file`);
        tlsCaFile = value;
        break;
      case 'tls_reject_unauthorized':
        if (!tls) throw fail(`option "${name}" needs rediss://`);
        tlsOptions.rejectUnauthorized = flag(value, name, fail);
        break;
      default:
        throw fail(
          `unknown option "${name}" (known: db, dbindex, redis_cluster, host[h:p], connect_timeout, command_timeout, max_retries, offline_queue, initial_ttl, poll_interval, tls_ca_file, tls_reject_unauthorized)`,
        );
    }
  }
  if (nodes.length === 0 && path === undefined) throw fail('it names no host');
  if (cluster && path !== undefined) throw fail('a Redis Cluster cannot be reached over a unix socket');
  if (cluster && options.db !== undefined && options.db !== 0) throw fail('a Redis Cluster has no databases but 0');
  if (!cluster && nodes.length > 1) throw fail('several hosts need redis_cluster=1');
  const parsed: RedisDsn = { cluster, nodes, options, store };
  if (path !== undefined) parsed.path = path;
  if (tlsCaFile !== undefined) parsed.tlsCaFile = tlsCaFile;
  return parsed;
}

function integer(value: string, what: string, fail: (why: string) => Error): number {
  if (!/^\d+$/.test(value)) throw fail(`${what} must be a whole number, got "${value}"`);
  return Number(value);
}

function positive(value: string, name: string, fail: (why: string) => Error): number {
  const n = Number(value);
  if (value === '' || !Number.isFinite(n) || n <= 0) throw fail(`option "${name}" must be a positive number of ms, got "${value}"`);
  return n;
}

function flag(value: string, name: string, fail: (why: string) => Error): boolean {
  if (['1', 'true', 'yes', 'on', ''].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw fail(`option "${name}" must be 0 or 1, got "${value}"`);
}
