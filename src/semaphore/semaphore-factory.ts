// SemaphoreFactory: one permit store, many semaphores (Symfony's SemaphoreFactory). Every
// createSemaphore() makes a new key, so two semaphores for one resource are two holders.
import { DEFAULT_TTL } from '../core/lock-factory.js';
import { InvalidArgumentError, describeValue } from '../core/errors.js';
import type { Logger } from '../core/lock.js';
import { parseOptions } from '../core/options.js';
import { isPermitStore, type PermitStore } from './permit-store.js';
import { SEMAPHORE_OPTION_KEYS, Semaphore, type SemaphoreOptions } from './semaphore.js';
import { SemaphoreKey } from './semaphore-key.js';

export interface CreateSemaphoreOptions extends SemaphoreOptions {
  /** How many of the `limit` permits this semaphore takes. Default 1. */
  weight?: number;
}

const CREATE_KEYS = ['weight', ...SEMAPHORE_OPTION_KEYS] as const;

export class SemaphoreFactory {
  readonly store: PermitStore;
  readonly #logger: Logger | undefined;

  constructor(store: PermitStore, options: { logger?: Logger } = {}) {
    if (!isPermitStore(store)) {
      throw new InvalidArgumentError(
        `SemaphoreFactory needs a permit store (an object with save/delete/exists/putOffExpiration, e.g. from createPermitStore()); got ${describeValue(store)}.`,
      );
    }
    this.store = store;
    this.#logger = parseOptions(options, 'SemaphoreFactory options', ['logger']).logger;
  }

  /** A semaphore of `limit` permits on `resource`; this one takes `weight` of them (default 1). */
  createSemaphore(resource: string, limit: number, options?: CreateSemaphoreOptions): Semaphore {
    if (typeof options === 'number') {
      // Symfony's createSemaphore($resource, $limit, $weight, $ttl): the third argument is a weight there.
      throw new InvalidArgumentError(
        `createSemaphore() options must be an object { ${CREATE_KEYS.join(', ')} }; got ${options}. Write { weight: ${options} } for a weight (Symfony's third argument).`,
      );
    }
    const parsed = parseOptions(options, 'createSemaphore() options', CREATE_KEYS);
    const { weight, ...rest } = parsed;
    return this.createSemaphoreFromKey(new SemaphoreKey(resource, limit, weight ?? 1), rest);
  }

  /** Semaphores built from one key are the same holder (a key received from another process). */
  createSemaphoreFromKey(key: SemaphoreKey, options?: SemaphoreOptions): Semaphore {
    if (!(key instanceof SemaphoreKey)) {
      throw new InvalidArgumentError(`createSemaphoreFromKey() needs a SemaphoreKey; got ${describeValue(key)}.`);
    }
    options = parseOptions(options, 'createSemaphoreFromKey() options', SEMAPHORE_OPTION_KEYS);
    const semaphoreOptions: SemaphoreOptions & { logger?: Logger } = { ttl: options.ttl === undefined ? DEFAULT_TTL : options.ttl };
    if (options.autoRelease !== undefined) semaphoreOptions.autoRelease = options.autoRelease;
    if (options.autoRefresh !== undefined) semaphoreOptions.autoRefresh = options.autoRefresh;
    if (this.#logger) semaphoreOptions.logger = this.#logger;
    return new Semaphore(key, this.store, semaphoreOptions);
  }
}
