// A Key is the state a Lock shares with its store: the resource name, per-store state
// (a token, a file handle), and the expiry the client believes in.
import { InvalidArgumentError, UnserializableKeyError, describeValue } from './errors.js';

export interface SerializedKey {
  /** Format version, so that a newer lockwright can still read older keys. */
  v: 1;
  resource: string;
  /** Absolute expiry in milliseconds since the epoch, null when the lock does not expire. */
  expiresAt: number | null;
  /** Per-store state (tokens). Only JSON values travel. */
  state: Record<string, unknown>;
}

export function validateResource(resource: unknown): string {
  if (typeof resource !== 'string') {
    throw new InvalidArgumentError(`A lock resource must be a non-empty string; got ${describeValue(resource)}.`);
  }
  if (resource.length === 0) {
    throw new InvalidArgumentError('A lock resource must be a non-empty string; got an empty string.');
  }
  // A lone surrogate is not text: every store (file names, Redis, SQL, UTF-8 anywhere)
  // turns it into U+FFFD, so "a\uD800" and "a\uDFFF" would be one lock.
  const lone = /[\uD800-\uDFFF]/u.exec(resource);
  if (lone) {
    const code = lone[0].charCodeAt(0).toString(16).toUpperCase();
    throw new InvalidArgumentError(
      `A lock resource must be well-formed Unicode text; got one with a lone surrogate \\u${code} at index ${lone.index} ` +
        '(every store would turn it into U+FFFD, merging distinct names into one lock).',
    );
  }
  return resource;
}

/**
 * Lock's access to a key's lifetime, kept off the public surface: the absolute expiry,
 * a count of reduceLifetime() calls (a store that calls it is one whose locks expire) and
 * the expiry the latest call asked for (a store calls it as it sends its request, so
 * that is the lifetime measured from the moment the request left).
 */
export const lifetimeAccess: {
  expiresAt(key: Key): number | null;
  setExpiresAt(key: Key, expiresAt: number | null): void;
  reductions(key: Key): number;
  lastRequested(key: Key): number | null;
} = {} as never;

export class Key {
  readonly resource: string;
  #state = new Map<string, unknown>();
  #expiresAt: number | null = null;
  #reductions = 0;
  #lastRequested: number | null = null;
  #serializable = true;

  static {
    lifetimeAccess.expiresAt = (key) => key.#expiresAt;
    lifetimeAccess.setExpiresAt = (key, expiresAt) => {
      key.#expiresAt = expiresAt;
    };
    lifetimeAccess.reductions = (key) => key.#reductions;
    lifetimeAccess.lastRequested = (key) => key.#lastRequested;
  }

  constructor(resource: string) {
    this.resource = validateResource(resource);
  }

  /** True when the state exists and is neither null nor undefined. */
  hasState(name: string): boolean {
    const value = this.#state.get(name);
    return value !== undefined && value !== null;
  }

  getState<T>(name: string): T {
    return this.#state.get(name) as T;
  }

  setState(name: string, value: unknown): void {
    this.#state.set(name, value);
  }

  removeState(name: string): void {
    this.#state.delete(name);
  }

  /** Called by stores whose locks are bound to this process; it is never undone. */
  markUnserializable(): void {
    this.#serializable = false;
  }

  /** Sets the expiry to now + ttl unless the current expiry is sooner: it only shortens. */
  reduceLifetime(ttl: number): void {
    if (typeof ttl !== 'number' || Number.isNaN(ttl)) {
      throw new InvalidArgumentError(`reduceLifetime() needs a number of milliseconds; got ${describeValue(ttl)}.`);
    }
    const candidate = Date.now() + ttl;
    this.#reductions++;
    this.#lastRequested = candidate;
    if (this.#expiresAt === null || this.#expiresAt > candidate) this.#expiresAt = candidate;
  }

  resetLifetime(): void {
    this.#expiresAt = null;
  }

  /** Milliseconds left (negative once expired), or null when there is no expiry. */
  getRemainingLifetime(): number | null {
    return this.#expiresAt === null ? null : this.#expiresAt - Date.now();
  }

  isExpired(): boolean {
    return this.#expiresAt !== null && this.#expiresAt <= Date.now();
  }

  toString(): string {
    return this.resource;
  }

  toJSON(): SerializedKey {
    if (!this.#serializable) {
      throw new UnserializableKeyError(
        `The key of the "${this.resource}" lock cannot be serialized: its store keeps the lock in this process.`,
      );
    }
    const state: Record<string, unknown> = {};
    for (const [name, value] of this.#state) state[name] = value;
    return { v: 1, resource: this.resource, expiresAt: this.#expiresAt, state };
  }

  /** Rebuilds a key from `toJSON()` output (or its JSON text). */
  static fromJSON(json: SerializedKey | string): Key {
    let data: unknown = json;
    if (typeof json === 'string') {
      try {
        data = JSON.parse(json);
      } catch (cause) {
        throw new InvalidArgumentError('Key.fromJSON() got a string that is not valid JSON.', { cause });
      }
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new InvalidArgumentError(`Key.fromJSON() needs an object made by key.toJSON(); got ${describeValue(data)}.`);
    }
    const { v, resource, expiresAt, state } = data as Record<string, unknown>;
    if (v !== 1) {
      throw new InvalidArgumentError(`Key.fromJSON(): unsupported format version ${describeValue(v)} (expected 1).`);
    }
    if (typeof resource !== 'string' || resource.length === 0) {
      throw new InvalidArgumentError(`Key.fromJSON(): "resource" must be a non-empty string; got ${describeValue(resource)}.`);
    }
    validateResource(resource);
    if (expiresAt !== null && (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))) {
      throw new InvalidArgumentError(`Key.fromJSON(): "expiresAt" must be a finite number or null; got ${describeValue(expiresAt)}.`);
    }
    if (typeof state !== 'object' || state === null || Array.isArray(state)) {
      throw new InvalidArgumentError(`Key.fromJSON(): "state" must be an object; got ${describeValue(state)}.`);
    }
    const key = new Key(resource);
    key.#expiresAt = expiresAt;
    for (const [name, value] of Object.entries(state)) key.#state.set(name, value);
    return key;
  }
}
