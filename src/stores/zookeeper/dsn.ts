// zookeeper:// DSNs: an ensemble (host:port pairs separated by commas, as Symfony and
// every ZooKeeper client write them), an optional chroot, and the session's timeouts.
import { InvalidArgumentError } from '../../core/errors.js';
import { redactDsn } from '../dsn.js';

export interface ZookeeperDsn {
  /** node-zookeeper-client's connection string: host:port[,host:port][/chroot]. */
  connectionString: string;
  hosts: number;
  sessionTimeout: number;
  operationTimeout?: number;
  handshakeTimeout?: number;
}

const FORM = 'zookeeper://host[:port][,host[:port]…][/chroot][?session_timeout=ms&operation_timeout=ms&handshake_timeout=ms]';

export function parseZookeeperDsn(dsn: string): ZookeeperDsn {
  const fail = (why: string) => new InvalidArgumentError(`Invalid ZooKeeper DSN "${redactDsn(dsn)}": ${why} (expected ${FORM}).`);
  const match = /^zookeeper:\/\/([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/i.exec(dsn);
  if (!match) throw fail(dsn.includes('#') ? 'it has a #fragment' : 'it is not a zookeeper:// URL');
  const [, authority = '', chroot = '', query = ''] = match;
  if (authority.includes('@')) throw fail('authentication is not supported');
  if (authority === '') throw fail('it names no host');
  const hosts = authority.split(',').map((spec) => {
    const host = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/i.exec(spec);
    if (!host) throw fail(`"${spec}" is not a host[:port]`);
    const port = host[2] === undefined ? 2181 : Number(host[2]);
    if (port < 1 || port > 65535) throw fail(`the port of "${spec}" must be 1 to 65535`);
    return `${host[1]}:${port}`;
  });
  if (chroot !== '' && (chroot === '/' || chroot.endsWith('/') || chroot.includes('//') || /\/\.\.?(\/|$)/.test(chroot))) {
    throw fail(`the chroot "${chroot}" must be an absolute node path, without a trailing "/"`);
  }
  const parsed: ZookeeperDsn = { connectionString: hosts.join(',') + chroot, hosts: hosts.length, sessionTimeout: 10_000 };
  for (const [name, value] of new URLSearchParams(query)) {
    const n = Number(value);
    if (!['session_timeout', 'operation_timeout', 'handshake_timeout'].includes(name)) {
      throw fail(`unknown option "${name}" (known: session_timeout, operation_timeout, handshake_timeout)`);
    }
    if (value === '' || !Number.isFinite(n) || n <= 0) throw fail(`option "${name}" must be a positive number of ms, got "${value}"`);
    if (name === 'session_timeout') parsed.sessionTimeout = n;
    else if (name === 'operation_timeout') parsed.operationTimeout = n;
    else parsed.handshakeTimeout = n;
  }
  return parsed;
}
