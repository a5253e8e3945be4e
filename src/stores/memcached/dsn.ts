// memcached:// DSNs: one server (a lock must live on one server: with several, a server
// that drops out would move its keys, and its locks, to another), parsed into the
// location and options of a `memcached` client, with errors that name what is wrong.
import { InvalidArgumentError } from '../../core/errors.js';
import { redactDsn } from '../dsn.js';
import type { MemcachedStoreOptions } from './memcached-store.js';

export interface MemcachedDsn {
  /** `host:port` as the memcached package takes it. */
  location: string;
  store: MemcachedStoreOptions;
}

const FORM = 'memcached://host[:port][?initial_ttl=ms&poll_interval=ms&timeout=ms]';
const OPTIONS: Record<string, keyof MemcachedStoreOptions> = {
  initial_ttl: 'initialTtl',
  poll_interval: 'pollInterval',
  timeout: 'commandTimeout',
};

export function parseMemcachedDsn(dsn: string): MemcachedDsn {
  const fail = (why: string) => new InvalidArgumentError(`Invalid Memcached DSN "${redactDsn(dsn)}": ${why} (expected ${FORM}).`);
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw fail('it is not a valid URL');
  }
  if (url.protocol !== 'memcached:') throw fail(`the scheme must be memcached:, got ${url.protocol}`);
  if (url.username || url.password) throw fail('SASL authentication is not supported (the memcached client has none)');
  if (!url.hostname) throw fail('it names no host');
  if (url.pathname !== '' && url.pathname !== '/') throw fail('a Memcached server has no path');
  if (url.hash) throw fail('it has a #fragment');
  const port = url.port === '' ? 11211 : Number(url.port);
  if (port === 0) throw fail('the port must be 1 to 65535');
  const store: MemcachedStoreOptions = {};
  for (const [name, value] of url.searchParams) {
    const option = OPTIONS[name];
    if (option === undefined) throw fail(`unknown option "${name}" (known: ${Object.keys(OPTIONS).join(', ')})`);
    const n = Number(value);
    if (value === '' || !Number.isFinite(n) || n <= 0) throw fail(`option "${name}" must be a positive number of ms, got "${value}"`);
    if (name === 'initial_ttl' && n < 1_000) throw fail(`option "initial_ttl" must be at least 1000 ms (Memcached counts seconds), got "${value}"`);
    store[option] = n;
  }
  // The memcached package splits host and port at the last colon: IPv6 goes unbracketed.
  return { location: `${url.hostname.replace(/^\[(.*)\]$/, '$1')}:${port}`, store };
}
