// Builds the stores a LockManager config names, once each, on first use.
import { InvalidArgumentError } from '../core/errors.js';
import type { PersistingStore } from '../core/store.js';
import { createStore } from '../stores/create-store.js';
export { closeStore } from '../stores/close-store.js';
import { FlockStore } from '../stores/local/flock-store.js';
import { InMemoryStore } from '../stores/memory/in-memory-store.js';
import { NullStore } from '../stores/memory/null-store.js';
import { SemaphoreStore } from '../stores/local/semaphore-store.js';
import type { StoreConfig } from './config.js';

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
    case 'dsn':
      return createStore(config.dsn);
    case 'custom':
      return config.store;
  }
}
