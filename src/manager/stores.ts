// Builds the stores a LockManager config names, once each, on first use.
import { InvalidArgumentError, describeValue } from '../core/errors.js';
import type { PersistingStore } from '../core/store.js';
import { createStore } from '../stores/create-store.js';
export { closeStore } from '../stores/close-store.js';
import { FlockStore } from '../stores/local/flock-store.js';
import { InMemoryStore } from '../stores/memory/in-memory-store.js';
import { NullStore } from '../stores/memory/null-store.js';
import { SemaphoreStore } from '../stores/local/semaphore-store.js';
import { sqlStoreFromDsn } from '../stores/sql/backend.js';
import type { DatabaseStoreConfig, StoreConfig } from './config.js';

export function buildStore(name: string, config: StoreConfig): PersistingStore {
  switch (config.driver) {
    case 'file':
    case 'flock':
      return new FlockStore({ ...(config.path !== undefined && { dir: config.path }), ...(config.mode !== undefined && { mode: config.mode }) });
    case 'semaphore':
      return new SemaphoreStore({ ...(config.namespace !== undefined && { namespace: config.namespace }), ...(config.mode !== undefined && { mode: config.mode }) });
    case 'memory':
    case 'in-memory':
      return new InMemoryStore();
    case 'null':
      return new NullStore();
    case 'redis':
      if (!config.url) throw new InvalidArgumentError(`Store "${name}": the redis driver needs a "url" (LOCK_REDIS_URL).`);
      return createStore(config.url);
    case 'database':
      return buildDatabaseStore(name, config);
    case 'memcached':
    case 'zookeeper': {
      // The url must name the driver's own scheme: a redis:// url under `memcached` is a slip.
      const url = typeof config.url === 'string' ? config.url.trim() : '';
      if (!url.toLowerCase().startsWith(`${config.driver}://`)) {
        throw new InvalidArgumentError(
          `Store "${name}": the ${config.driver} driver needs a "url" such as ${config.driver === 'memcached' ? 'memcached://127.0.0.1:11211' : 'zookeeper://127.0.0.1:2181'}; got ${describeValue(config.url)}.`,
        );
      }
      return createStore(url);
    }
    case 'dsn':
      return createStore(config.dsn);
    case 'custom':
      return config.store;
  }
}

/** Glueful's keys of the database driver, and SqlStore's option each one sets. */
const DATABASE_KEYS = { table: 'table', id_col: 'idColumn', token_col: 'tokenColumn', expiration_col: 'expirationColumn' } as const;

function buildDatabaseStore(name: string, config: DatabaseStoreConfig): PersistingStore {
  for (const key of Object.keys(config)) {
    if (!['driver', 'url', 'prefix', ...Object.keys(DATABASE_KEYS)].includes(key)) {
      throw new InvalidArgumentError(`Store "${name}": the database driver has no "${key}" key (known: url, table, id_col, token_col, expiration_col, prefix).`);
    }
  }
  if (typeof config.url !== 'string' || config.url.trim() === '') {
    throw new InvalidArgumentError(`Store "${name}": the database driver needs a "url", a DSN such as postgres://user@host/db (LOCK_DB_URL); got ${describeValue(config.url)}.`);
  }
  const options: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(DATABASE_KEYS)) {
    const value = config[key as keyof typeof DATABASE_KEYS];
    if (value !== undefined) options[option] = value;
  }
  const url = config.url.trim();
  // An advisory-lock DSN names another store, which has no table.
  if (/^[a-z]+\+advisory:/i.test(url)) {
    const given = Object.keys(options);
    if (given.length > 0) {
      throw new InvalidArgumentError(`Store "${name}": an advisory-lock DSN takes no table keys (got ${given.join(', ')}).`);
    }
    return createStore(url);
  }
  try {
    return sqlStoreFromDsn(url, options);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    // Name the key the user wrote, not SqlStore's option.
    let message = error.message;
    for (const [key, option] of Object.entries(DATABASE_KEYS)) message = message.replace(`option "${option}"`, `key "${key}"`);
    throw new InvalidArgumentError(`Store "${name}": ${message}`, { cause: error });
  }
}
