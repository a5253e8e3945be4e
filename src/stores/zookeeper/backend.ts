// zookeeper:// DSNs and node-zookeeper-client clients, for createStore().
import { NotSupportedError } from '../../core/errors.js';
import type { StoreBackend } from '../backend.js';
import { loadOptionalPeer } from '../optional-peer.js';
import { isZookeeperClient, type ZookeeperClient } from './client.js';
import { parseZookeeperDsn } from './dsn.js';
import { ZookeeperStore, type ZookeeperStoreOptions } from './zookeeper-store.js';

export const zookeeperBackend: StoreBackend = {
  dsnForms: ['zookeeper://…'],
  accepts: (dsn) => /^zookeeper:/i.test(dsn),
  fromDsn: zookeeperStoreFromDsn,
  isClient: isZookeeperClient,
  fromClient: (client) => new ZookeeperStore(client as ZookeeperClient),
  clientForm: 'a node-zookeeper-client Client',
};

interface ZookeeperModule {
  createClient(connectionString: string, options: Record<string, unknown>): ZookeeperClient & { connect(): void };
}

function zookeeperStoreFromDsn(dsn: string): ZookeeperStore {
  const parsed = parseZookeeperDsn(dsn);
  const loaded = loadOptionalPeer<Partial<ZookeeperModule> & { default?: Partial<ZookeeperModule> }>('node-zookeeper-client', 'A zookeeper:// store');
  const createClient = loaded.createClient ?? loaded.default?.createClient;
  if (typeof createClient !== 'function') throw new NotSupportedError('The installed node-zookeeper-client package has no createClient() (1.1 is needed).');
  const connect = () => {
    // retries 0: the store bounds and retries calls itself. spinDelay: the pause before
    // going round the ensemble again.
    const client = createClient(parsed.connectionString, { sessionTimeout: parsed.sessionTimeout, spinDelay: 500, retries: 0 });
    client.connect();
    return client;
  };
  const options: ZookeeperStoreOptions = {
    handshakeTimeout: parsed.handshakeTimeout ?? defaultHandshakeTimeout(parsed.sessionTimeout, parsed.hosts),
  };
  if (parsed.operationTimeout !== undefined) options.operationTimeout = parsed.operationTimeout;
  return new ZookeeperStore(connect(), options, { renew: connect });
}

/**
 * How long a DSN store's connection may take to get through its handshake: as the Java
 * client, a share of the session timeout per host (half of it, so that a second try fits),
 * but at most 5 s. A handshake takes milliseconds when the server can serve; one stuck
 * longer is a server still loading its database (ZooKeeper 3.8 accepts connections
 * before that), and waiting out half a long session there only delays the reconnect
 * that keeps the session's locks.
 */
export function defaultHandshakeTimeout(sessionTimeout: number, hosts: number): number {
  return Math.min(5_000, Math.max(500, Math.floor(sessionTimeout / hosts / 2)));
}
