// LockManager configuration: Glueful's config/lock.php, validated. Durations are
// milliseconds or strings with a unit ('30s'), as everywhere in the API.
import { parseDuration, parseTtl, type Duration } from '../core/duration.js';
import { InvalidArgumentError, describeValue } from '../core/errors.js';
import type { Logger } from '../core/lock.js';
import type { PersistingStore } from '../core/store.js';

/** How to build one store. `prefix` is added (after the manager's prefix) to every name. */
export type StoreConfig =
  | { driver: 'file' | 'flock'; path?: string; mode?: number; prefix?: string }
  | { driver: 'semaphore'; namespace?: string; mode?: number; prefix?: string }
  | { driver: 'redis'; url?: string; prefix?: string }
  | { driver: 'memory' | 'in-memory'; prefix?: string }
  | { driver: 'null'; prefix?: string }
  | { driver: 'dsn'; dsn: string; prefix?: string }
  | { driver: 'custom'; store: PersistingStore; prefix?: string };

export interface RetryConfig {
  /** Attempts after the first one, for stores that cannot wait natively. Default 10. */
  times?: number;
  /** Time between attempts (±10% jitter): ms or '100ms'. Default 100 ms. */
  delay?: Duration;
  /** Longest wait of waitAndExecute: ms or '10s'. Default 10 s. */
  maxWait?: Duration;
}

export interface LockManagerConfig {
  /** The store (a key of `stores`) locks use. Default "file". */
  default?: string;
  /** Named stores. Built-in names: file, semaphore, redis, memory, null. */
  stores?: Record<string, StoreConfig>;
  /** Added in front of every lock name. Default "lockwright:". */
  prefix?: string;
  /** Default lock TTL: ms or '5m'. Default 5 minutes. */
  ttl?: Duration;
  retry?: RetryConfig;
  /** Collect metrics (subscribes to the diagnostics channels). Default true. */
  metrics?: boolean;
  logger?: Logger;
}

export const DRIVERS = ['file', 'flock', 'semaphore', 'redis', 'memory', 'in-memory', 'null', 'dsn', 'custom'] as const;

export interface ResolvedConfig {
  default: string;
  stores: Record<string, StoreConfig>;
  prefix: string;
  /** Milliseconds. */
  ttl: number;
  /** Milliseconds. */
  retry: { times: number; delay: number; maxWait: number };
  metrics: boolean;
  logger: Logger | undefined;
}

export const DEFAULT_STORES: Readonly<Record<string, StoreConfig>> = Object.freeze({
  file: { driver: 'file' },
  semaphore: { driver: 'semaphore' },
  redis: { driver: 'redis', url: 'redis://127.0.0.1:6379' },
  memory: { driver: 'memory' },
  null: { driver: 'null' },
});

/** Fills defaults and checks every value; errors name the option and the value. */
export function resolveConfig(config: LockManagerConfig = {}): ResolvedConfig {
  if (typeof config !== 'object' || config === null) {
    throw new InvalidArgumentError(`LockManager config must be an object; got ${describeValue(config)}.`);
  }
  const stores: Record<string, StoreConfig> = { ...DEFAULT_STORES };
  for (const [name, store] of Object.entries(config.stores ?? {})) {
    // A partial entry for a built-in store (say, only a path) keeps its driver.
    stores[name] = { ...(stores[name] ?? {}), ...store } as StoreConfig;
    checkStore(name, stores[name]!);
  }
  const name = config.default ?? 'file';
  if (typeof name !== 'string' || !(name in stores)) {
    throw new InvalidArgumentError(
      `LockManager config "default" must name one of the stores (${Object.keys(stores).join(', ')}); got ${describeValue(name)}.`,
    );
  }
  const prefix = config.prefix ?? 'lockwright:';
  if (typeof prefix !== 'string') throw new InvalidArgumentError(`LockManager config "prefix" must be a string; got ${describeValue(prefix)}.`);
  const retry = config.retry ?? {};
  return {
    default: name,
    stores,
    prefix,
    ttl: positive('ttl', config.ttl ?? 300_000),
    retry: {
      times: integer('retry.times', retry.times ?? 10),
      delay: nonNegative('retry.delay', retry.delay ?? 100),
      maxWait: nonNegative('retry.maxWait', retry.maxWait ?? 10_000),
    },
    metrics: config.metrics ?? true,
    logger: config.logger,
  };
}

function checkStore(name: string, store: StoreConfig): void {
  if (!DRIVERS.includes(store.driver as (typeof DRIVERS)[number])) {
    throw new InvalidArgumentError(`Store "${name}": unknown driver ${describeValue(store.driver)} (known: ${DRIVERS.join(', ')}).`);
  }
  if (store.prefix !== undefined && typeof store.prefix !== 'string') {
    throw new InvalidArgumentError(`Store "${name}": "prefix" must be a string; got ${describeValue(store.prefix)}.`);
  }
}

function positive(option: string, value: unknown): number {
  return parseTtl(value, `LockManager config "${option}"`);
}

function nonNegative(option: string, value: unknown): number {
  return parseDuration(value, `LockManager config "${option}"`);
}

function integer(option: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw new InvalidArgumentError(`LockManager config "${option}" must be a whole number, zero or more; got ${describeValue(value)}.`);
  }
  return value as number;
}
