// redis:// and rediss:// DSNs and ioredis clients, for createStore() (RedisStore) and
// createPermitStore() (RedisPermitStore): one DSN parser, one way to make the client.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, NotSupportedError } from '../../core/errors.js';
import type { StoreBackend } from '../backend.js';
import { loadOptionalPeer } from '../optional-peer.js';
import { isRedisClient, type RedisClient } from './client.js';
import { requireDatabase } from './database-check.js';
import { parseRedisDsn } from './dsn.js';
import { redactDsn } from '../dsn.js';
import { RedisStore, ownClient } from './redis-store.js';
import type { PermitBackend } from '../permit-backends.js';
import { RedisPermitStore, ownPermitClient } from './redis-permit-store.js';

export const redisBackend: StoreBackend = {
  dsnForms: ['redis://…', 'rediss://…'],
  accepts: (dsn) => /^rediss?:/i.test(dsn),
  fromDsn: redisStoreFromDsn,
  isClient: isRedisClient,
  fromClient: (client) => new RedisStore(client as RedisClient),
  clientForm: 'an ioredis client',
};

export const redisPermitBackend: PermitBackend = {
  dsnForms: ['redis://…', 'rediss://…'],
  accepts: (dsn) => /^rediss?:/i.test(dsn),
  fromDsn(dsn) {
    const { client, store } = clientFromDsn(dsn);
    return ownPermitClient(new RedisPermitStore(client, store));
  },
  isClient: isRedisClient,
  fromClient: (client) => new RedisPermitStore(client as RedisClient),
  clientForm: 'an ioredis client',
};

function redisStoreFromDsn(dsn: string): RedisStore {
  const { client, store } = clientFromDsn(dsn);
  return ownClient(new RedisStore(client, store));
}

/** The client a DSN describes (owned by the store made with it), and the DSN's store options. */
function clientFromDsn(dsn: string): { client: RedisClient; store: { initialTtl?: number; pollInterval?: number } } {
  const parsed = parseRedisDsn(dsn);
  if (parsed.tlsCaFile !== undefined) {
    let ca: Buffer;
    try {
      ca = readFileSync(parsed.tlsCaFile);
    } catch (error) {
      throw new InvalidArgumentError(
        `Invalid Redis DSN "${redactDsn(dsn)}": option "tls_ca_file" names ${parsed.tlsCaFile}, which cannot be read (${(error as Error).message}).`,
      );
    }
    parsed.options.tls = { ...(parsed.options.tls as object), ca };
  }
  const ioredis = loadIoredis();
  let client: OwnedClient;
  if (parsed.cluster) {
    const { lazyConnect, maxRetriesPerRequest, enableOfflineQueue, ...redisOptions } = parsed.options;
    const clusterOptions: Record<string, unknown> = { lazyConnect, redisOptions: { ...redisOptions, maxRetriesPerRequest } };
    if (enableOfflineQueue !== undefined) clusterOptions.enableOfflineQueue = enableOfflineQueue;
    client = new ioredis.Cluster(parsed.nodes, clusterOptions);
  } else {
    const target = parsed.path !== undefined ? { path: parsed.path } : parsed.nodes[0]!;
    client = new ioredis.Redis({ ...target, ...parsed.options });
    const db = parsed.options.db;
    if (typeof db === 'number' && db !== 0) requireDatabase(client as OwnedClient & SelectingClient, db, redactDsn(dsn));
  }
  // The store owns this client: failures reach callers through the store's errors, not
  // as "[ioredis] Unhandled error event" lines on stderr.
  client.on('error', () => {});
  return { client, store: parsed.store };
}

type OwnedClient = RedisClient & { on(event: 'error', listener: () => void): unknown };
type SelectingClient = { select(db: number): Promise<unknown>; on(event: 'close', listener: () => void): unknown };
interface IoredisModule {
  Redis: new (options: Record<string, unknown>) => OwnedClient;
  Cluster: new (nodes: Array<{ host: string; port: number }>, options: Record<string, unknown>) => OwnedClient;
}

function loadIoredis(): IoredisModule {
  const loaded = loadOptionalPeer<Partial<IoredisModule> & { default?: Partial<IoredisModule> }>('ioredis', 'A redis:// store');
  const Redis = loaded.Redis ?? loaded.default?.Redis;
  const Cluster = loaded.Cluster ?? loaded.default?.Cluster;
  if (typeof Redis !== 'function' || typeof Cluster !== 'function') {
    throw new NotSupportedError('The installed ioredis package exports no Redis and Cluster classes (ioredis 5 or later is needed).');
  }
  return { Redis, Cluster };
}
