// What RedisStore needs from a client, typed structurally so that importing lockwright
// never needs ioredis (an optional peer dependency). An ioredis `Redis` or `Cluster`
// fits these interfaces as it is.
import { LockStorageError } from '../../core/errors.js';
import type { RedisScript } from './scripts.js';

type Arg = string | number;

/** The subscriber connection made with `duplicate()`. */
export interface RedisSubscriberClient {
  readonly status: string;
  connect(): Promise<void>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  disconnect(): void;
}

/** The methods of an ioredis `Redis` or `Cluster` that RedisStore uses. */
export interface RedisClient {
  evalsha(sha: string, numKeys: number, ...args: Arg[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: Arg[]): Promise<unknown>;
  /** ioredis: `Redis#duplicate(options)` and `Cluster#duplicate(nodes, options)`. */
  duplicate(...args: never[]): RedisSubscriberClient;
  readonly isCluster?: boolean;
  once?(event: 'end', listener: () => void): unknown;
  quit?(): Promise<unknown>;
  disconnect?(): void;
}

/** Does `value` look like an ioredis client (Redis or Cluster)? */
export function isRedisClient(value: unknown): value is RedisClient {
  if (typeof value !== 'object' || value === null) return false;
  const client = value as Record<string, unknown>;
  return typeof client.evalsha === 'function' && typeof client.eval === 'function' && typeof client.duplicate === 'function';
}

/**
 * Runs a script by its SHA and sends the source only when the server does not know it
 * (after a restart or SCRIPT FLUSH, or on a new cluster node). Any NOSCRIPT reply
 * counts: Valkey and proxies word it differently.
 */
export async function evaluate(client: RedisClient, script: RedisScript, args: Arg[]): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, script.numKeys, ...args);
  } catch (error) {
    if (!String((error as Error | undefined)?.message ?? '').startsWith('NOSCRIPT')) throw error;
    return client.eval(script.source, script.numKeys, ...args);
  }
}

/**
 * A Redis failure as the store reports it. `cause` is a copy of the client's error
 * (name, message, code, stack) without what ioredis attaches: its `command.args` hold
 * the owner token, which is as good as the lock to whoever reads a log. `secrets` (the
 * token) are masked wherever they appear in the text too.
 */
export function storageError(
  action: string,
  resource: string,
  cause: unknown,
  secrets: readonly string[] = [],
  noun: 'lock' | 'semaphore' = 'lock',
): LockStorageError {
  const scrub = (text: string) => secrets.reduce((out, secret) => (secret ? out.split(secret).join('***') : out), text);
  const detail = scrub(cause instanceof Error ? cause.message : String(cause));
  return new LockStorageError(`Redis failed to ${action} the "${resource}" ${noun}: ${detail}`, { cause: scrubbed(cause, scrub) });
}

function scrubbed(cause: unknown, scrub: (text: string) => string): Error {
  if (!(cause instanceof Error)) return new Error(scrub(String(cause)));
  const copy = new Error(scrub(cause.message));
  copy.name = cause.name;
  const { code, command } = cause as { code?: unknown; command?: { name?: unknown } };
  if (typeof code === 'string' || typeof code === 'number') Object.assign(copy, { code });
  // The command's name says what failed; its arguments stay out.
  if (typeof command?.name === 'string') Object.assign(copy, { command: { name: command.name } });
  copy.stack = scrub(cause.stack ?? `${copy.name}: ${copy.message}`);
  return copy;
}

/** The channel a release of `resource` is published on (channels are not keys). */
export function releaseChannel(resource: string): string {
  return `lockwright:released:${resource}`;
}

/**
 * The fencing counter of `resource`. It must live in the resource's Redis Cluster slot
 * (one script updates both): a resource with a hash tag keeps it by suffixing; one
 * without gets its whole name as the tag, which hashes exactly like the bare name.
 * (A name with a "}" but no hash tag cannot be tagged; on a Cluster its counter may
 * land in another slot, which Redis refuses with CROSSSLOT.) Standalone Redis uses the
 * same names, so that a deployment moving to Cluster keeps its counters.
 */
export function fencingKey(resource: string): string {
  if (hasHashTag(resource) || resource.includes('}')) return `${resource}:lockwright:fence`;
  return `{${resource}}:lockwright:fence`;
}

function hasHashTag(name: string): boolean {
  const open = name.indexOf('{');
  if (open === -1) return false;
  const close = name.indexOf('}', open + 1);
  return close > open + 1;
}
