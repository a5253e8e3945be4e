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
    // As the Java client: a connection has the session timeout shared among the hosts to
    // get through its handshake.
    handshakeTimeout: parsed.handshakeTimeout ?? Math.max(500, Math.floor(parsed.sessionTimeout / parsed.hosts / 2)),
  };
  if (parsed.operationTimeout !== undefined) options.operationTimeout = parsed.operationTimeout;
  return new ZookeeperStore(connect(), options, { renew: connect });
}
