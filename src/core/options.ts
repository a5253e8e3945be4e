// Options objects are checked for shape and for unknown keys: a misspelt or foreign key
// (Glueful's `max_wait`, a positional TTL where an options object belongs) is an error
// naming it, never silently dropped so that the code runs with defaults nobody chose.
import { InvalidArgumentError, describeValue } from './errors.js';

/**
 * `value` as an options object (undefined → {}). `call` names the parameter
 * ("executeWithLock() options"); `known` lists its keys, for the message.
 * A number or string where the object belongs is taken for Glueful's positional TTL
 * (seconds there) and answered with the object to write instead.
 */
export function optionsObject<T extends object>(value: T | undefined, call: string, known: readonly string[]): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    let hint = '';
    if (typeof value === 'number' && known.includes('ttl')) {
      hint = ` A TTL is not taken positionally: write { ttl: '${value}s' } for ${value} seconds, or { ttl: ${value} } for ${value} ms.`;
    } else if (typeof value === 'string' && known.includes('ttl')) {
      hint = ` A TTL is not taken positionally: write { ttl: ${JSON.stringify(value)} }.`;
    }
    throw new InvalidArgumentError(`${call} must be an object { ${known.join(', ')} }; got ${describeValue(value)}.${hint}`);
  }
  return value;
}

/**
 * Refuses keys outside `known`. `hints` maps a foreign key to what to write instead
 * (Glueful's and Symfony's spellings).
 */
export function checkKeys(value: object, known: readonly string[], where: string, hints: Readonly<Record<string, string>> = {}): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const hint = Object.hasOwn(hints, key) ? ` ${hints[key]}` : '';
    throw new InvalidArgumentError(`${where}: unknown option "${key}" (known: ${known.join(', ')}).${hint}`);
  }
}

/** Both checks at once: the options object of one call. */
export function parseOptions<T extends object>(value: T | undefined, call: string, known: readonly string[], hints?: Readonly<Record<string, string>>): T {
  const options = optionsObject(value, call, known);
  checkKeys(options, known, call, hints);
  return options;
}
