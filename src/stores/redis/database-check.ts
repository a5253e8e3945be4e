// The database a redis:// DSN names (`/3`, `?db=3`), checked before a store's first
// command on each connection. ioredis SELECTs it as it connects, but when the server
// refuses (an index beyond its `databases` setting) ioredis only emits an 'error' event
// and goes on in database 0, where locks would silently land beside other
// applications'. So the store SELECTs once more itself, waits for the answer, and
// refuses to send anything on a connection that is not in the database asked for.
import { InvalidArgumentError } from '../../core/errors.js';
import type { RedisClient } from './client.js';

interface SelectingClient {
  select(db: number): Promise<unknown>;
  on(event: 'close', listener: () => void): unknown;
}

const checks = new WeakMap<RedisClient, () => Promise<void> | undefined>();

/** Makes every command of stores on `client` wait until `db` is known selected. */
export function requireDatabase(client: RedisClient & SelectingClient, db: number, dsn: string): void {
  let checked: Promise<void> | null = null;
  // Once the answer came, commands go out without waiting for a settled promise (a turn each).
  let confirmed = false;
  // A new connection selects again (ioredis does it as it connects): check it again.
  client.on('close', () => {
    checked = null;
    confirmed = false;
  });
  checks.set(client, () => {
    if (confirmed) return undefined;
    if (checked) return checked;
    const pending: Promise<void> = client.select(db).then(
      () => {
        // Unless the connection closed meanwhile (a new one is checked again).
        if (checked === pending) confirmed = true;
      },
      (error: unknown) => {
        checked = null; // a lost connection is no answer: ask again next time
        const message = String((error as Error | undefined)?.message ?? '');
        if (!/DB index|invalid DB|out of range/i.test(message)) throw error;
        throw new InvalidArgumentError(
          `The Redis DSN "${dsn}" names database ${db}, which the server refuses ("${message}"): ` +
            'its databases are numbered from 0 to its "databases" setting minus one (16 databases by default).',
        );
      },
    );
    checked = pending;
    return pending;
  });
}

/** Resolves once the client's database is checked; undefined when it is (or when no DSN asked for one). */
export function checkDatabase(client: RedisClient): Promise<void> | undefined {
  return checks.get(client)?.();
}
