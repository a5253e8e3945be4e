// A semaphore's key: a Key (resource, per-store state, client-side lifetime) plus how many
// permits the semaphore has (limit) and how many this holder takes (weight). Symfony's
// Semaphore Key, with its checks and messages.
import { InvalidArgumentError, describeValue } from '../core/errors.js';
import { Key, lifetimeAccess, type SerializedKey } from '../core/key.js';

export interface SerializedSemaphoreKey extends SerializedKey {
  limit: number;
  weight: number;
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new InvalidArgumentError(`The ${name} must be a whole number of permits; got ${describeValue(value)}.`);
  }
  if (value < 1) throw new InvalidArgumentError(`The ${name} (${value}) should be greater than 0.`);
  return value;
}

export class SemaphoreKey extends Key {
  /** How many permits the semaphore has in all. */
  readonly limit: number;
  /** How many permits this key takes at once. */
  readonly weight: number;

  constructor(resource: string, limit: number, weight = 1) {
    super(resource);
    this.limit = positiveInteger(limit, 'limit');
    this.weight = positiveInteger(weight, 'weight');
    if (this.weight > this.limit) {
      throw new InvalidArgumentError(`The weight (${this.weight}) should be lower or equals to the limit (${this.limit}).`);
    }
  }

  override toJSON(): SerializedSemaphoreKey {
    return { ...super.toJSON(), limit: this.limit, weight: this.weight };
  }

  /** Rebuilds a key from `toJSON()` output (or its JSON text), limit and weight included. */
  static override fromJSON(json: SerializedSemaphoreKey | string): SemaphoreKey {
    const base = Key.fromJSON(json);
    const data = (typeof json === 'string' ? JSON.parse(json) : json) as Partial<SerializedSemaphoreKey>;
    if (data.limit === undefined || data.weight === undefined) {
      throw new InvalidArgumentError('SemaphoreKey.fromJSON() needs the "limit" and "weight" of a semaphore key (made by semaphoreKey.toJSON()).');
    }
    const key = new SemaphoreKey(base.resource, data.limit, data.weight);
    lifetimeAccess.setExpiresAt(key, lifetimeAccess.expiresAt(base));
    for (const [name, value] of Object.entries(base.toJSON().state)) key.setState(name, value);
    return key;
  }
}
