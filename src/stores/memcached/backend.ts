// memcached:// DSNs and `memcached` package clients, for createStore().
import { NotSupportedError } from '../../core/errors.js';
import type { StoreBackend } from '../backend.js';
import { loadOptionalPeer } from '../optional-peer.js';
import { isMemcachedClient, type MemcachedClient } from './client.js';
import { parseMemcachedDsn } from './dsn.js';
import { MemcachedStore, ownMemcachedClient } from './memcached-store.js';

export const memcachedBackend: StoreBackend = {
  dsnForms: ['memcached://…'],
  accepts: (dsn) => /^memcached:/i.test(dsn),
  fromDsn: memcachedStoreFromDsn,
  isClient: isMemcachedClient,
  fromClient: (client) => new MemcachedStore(client as MemcachedClient),
  clientForm: 'a memcached client',
};

type MemcachedConstructor = new (location: string, options: Record<string, unknown>) => MemcachedClient & {
  on(event: string, listener: () => void): unknown;
};

function memcachedStoreFromDsn(dsn: string): MemcachedStore {
  const parsed = parseMemcachedDsn(dsn);
  const loaded = loadOptionalPeer<MemcachedConstructor | { default?: MemcachedConstructor }>('memcached', 'A memcached:// store');
  const Memcached = typeof loaded === 'function' ? loaded : loaded.default;
  if (typeof Memcached !== 'function') throw new NotSupportedError('The installed memcached package exports no client class (memcached 2.2 is needed).');
  const client = new Memcached(parsed.location, {
    // Fail a command at once when the server is away (no pool retries with seconds of
    // back-off), and try the server again 200 ms later, forever: the client's other
    // path for a dead server re-checks it with the ping(8) program every 5 hours.
    retries: 0,
    retry: 200,
    failures: 1e9,
    remove: false,
    timeout: parsed.store.commandTimeout ?? 5_000,
    // The key is the resource, as Symfony has it: never an md5 of it.
    keyCompression: false,
  });
  for (const event of ['issue', 'failure', 'reconnecting', 'reconnect', 'remove']) client.on(event, () => {});
  return ownMemcachedClient(new MemcachedStore(client, parsed.store));
}
