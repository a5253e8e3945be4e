// MemcachedStore against a real memcached: the conformance suite for what it declares
// (waits, expiring locks in whole seconds, keys that travel), Symfony's data layout, and
// the three places where it is deliberately safer than Symfony (see memcached-store.ts).
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  InvalidTtlError,
  Key,
  LockConflictedError,
  LockFactory,
  MemcachedStore,
  createStore,
} from '../../../src/index.js';
import { exptime } from '../../../src/stores/memcached/memcached-store.js';
import { runConformance } from '../../conformance/index.js';
import { MemcachedServer, command } from '../../helpers/memcached-server.js';

const server = await MemcachedServer.start();
const client = server.client();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

runConformance({
  expect: { blocking: true, shared: false, expiring: true },
  name: 'MemcachedStore',
  makeStore: () => new MemcachedStore(client),
  transferable: true,
  // ceil(ttl) + 2 whole seconds on a clock that ticks each second: up to 3 s beyond the TTL
  // (the poll limits grow by 4 steps: 8 s).
  expiring: { makeStoreWithInitialTtl: (initialTtl) => new MemcachedStore(client, { initialTtl }), granularity: 2_000 },
});

/** The server's view of a key: [value, flags, seconds left], or null when absent. */
async function inspect(name: string): Promise<{ value: string; flags: number; ttl: number } | null> {
  const reply = await command(server.port, `mg ${name} v f t`, /^(EN\r\n|VA .*\r\n.*\r\n)$/s);
  const match = /^VA \d+ (.*)\r\n(.*)\r\n$/s.exec(reply);
  if (!match) return null;
  const flags = Number(/f(\d+)/.exec(match[1]!)![1]);
  const ttl = Number(/t(-?\d+)/.exec(match[1]!)![1]);
  return { value: match[2]!, flags, ttl };
}

describe('MemcachedStore data layout (Symfony MemcachedStore)', () => {
  it('keeps the resource as the key and a 32-byte base64 token as a plain string (flags 0)', async () => {
    const store = new MemcachedStore(client, { initialTtl: 10_000 });
    const key = new Key('layout:resource');
    await store.save(key);
    const item = (await inspect('layout:resource'))!;
    expect(item.flags).toBe(0);
    expect(Buffer.from(item.value, 'base64')).toHaveLength(32);
    expect(Object.values(key.toJSON().state)).toContain(item.value);
    // 10 s rounded as Symfony does, plus two seconds for the server's once-a-second clock.
    expect(item.ttl).toBeGreaterThanOrEqual(11);
    expect(item.ttl).toBeLessThanOrEqual(12);
    await store.delete(key);
    expect(await inspect('layout:resource')).toBeNull();
  });

  it('saves with the Lock\'s TTL in one round trip, rounded up to whole seconds', async () => {
    const lock = new LockFactory(new MemcachedStore(client)).createLock('layout-lock-ttl', { ttl: 4_200 });
    expect(await lock.acquire()).toBe(true);
    const item = (await inspect('layout-lock-ttl'))!;
    expect(item.ttl).toBeGreaterThanOrEqual(6);
    expect(item.ttl).toBeLessThanOrEqual(7);
    await lock.release();
  });

  it('never frees a lock on the server before its key says it expired (sub-second TTLs included)', async () => {
    const store = new MemcachedStore(client, { initialTtl: 1_000 });
    for (const ttl of [1_000, 300]) {
      const key = new Key(`early-expiry-${ttl}`);
      key.reduceLifetime(60_000);
      await store.save(key);
      if (ttl !== 1_000) await store.putOffExpiration(key, ttl);
      while (!key.isExpired()) {
        expect(await store.exists(key)).toBe(true);
        await sleep(20);
      }
      await store.delete(key);
    }
  });

  it('sends TTLs over 30 days as a Unix time, so that the lock is held (Symfony stores it already expired)', async () => {
    const store = new MemcachedStore(client);
    const key = new Key('thirty-days');
    const days40 = 40 * 24 * 3600 * 1_000;
    await store.save(key);
    await store.putOffExpiration(key, days40);
    const item = (await inspect('thirty-days'))!;
    expect(item.ttl).toBeGreaterThan(39 * 24 * 3600);
    expect(await store.exists(key)).toBe(true);
    await expect(store.save(new Key('thirty-days'))).rejects.toBeInstanceOf(LockConflictedError);
    await store.delete(key);
    expect(exptime(days40, 1_700_000_000_000)).toBe(1_700_000_000 + 40 * 24 * 3600 + 2);
    expect(exptime(30 * 24 * 3600 * 1_000 - 2_000)).toBe(30 * 24 * 3600); // the longest relative exptime
    expect(exptime(30 * 24 * 3600 * 1_000 - 1_000, 1_700_000_000_000)).toBe(1_700_000_000 + 30 * 24 * 3600 + 1);
  });

  it('refuses to refresh a lock that vanished (Symfony re-adds it), but a save takes it again', async () => {
    const store = new MemcachedStore(client);
    const key = new Key('vanished');
    await store.save(key);
    await command(server.port, 'delete vanished');
    await expect(store.putOffExpiration(key, 5_000)).rejects.toBeInstanceOf(LockConflictedError);
    expect(await inspect('vanished')).toBeNull();
    await store.save(key);
    expect(await store.exists(key)).toBe(true);
    await store.delete(key);
  });

  it('leaves a value that is not its token alone on delete (a PHP holder, another key)', async () => {
    await command(server.port, 'set foreign 0 60 5\r\nother');
    const store = new MemcachedStore(client);
    const key = new Key('foreign');
    await expect(store.save(key)).rejects.toBeInstanceOf(LockConflictedError);
    await store.delete(key);
    expect((await inspect('foreign'))!.value).toBe('other');
    await command(server.port, 'delete foreign');
  });

  it('refuses resources Memcached cannot key, naming them', async () => {
    const store = new MemcachedStore(client);
    // Symfony's ext-memcached (libmemcached) refuses non-ASCII keys and then reports the
    // lock busy forever: lockwright refuses them up front.
    for (const resource of ['with space', 'tab\there', 'x'.repeat(251), 'ünïcode', 'line\nbreak']) {
      await expect(store.save(new Key(resource))).rejects.toThrow(InvalidArgumentError);
    }
    await expect(store.save(new Key('with space'))).rejects.toThrow(/1 to 250 printable ASCII characters, without spaces/);
    const longest = new Key('x'.repeat(250));
    await store.save(longest);
    await store.delete(longest);
  });

  it('refuses bad options and clients, naming them', () => {
    expect(() => new MemcachedStore(client, { initialTtl: 999 })).toThrow(InvalidTtlError);
    expect(() => new MemcachedStore(client, { initialTtl: -1 })).toThrow(InvalidTtlError);
    expect(() => new MemcachedStore(client, { pollInterval: 0 })).toThrow(/pollInterval/);
    expect(() => new MemcachedStore(client, { commandTimeout: Number.NaN })).toThrow(/commandTimeout/);
    expect(() => new MemcachedStore(client, { ttl: 5 } as never)).toThrow(/Unknown MemcachedStore option "ttl"/);
    expect(() => new MemcachedStore({} as never)).toThrow(/needs a client of the "memcached" package/);
    expect(() => new MemcachedStore(client, 5 as never)).toThrow(InvalidArgumentError);
  });
});

describe('MemcachedStore waits (polled)', () => {
  it('sees a release by another client within the poll interval', async () => {
    const other = new MemcachedStore(server.client());
    const store = new MemcachedStore(client, { pollInterval: 50 });
    const holder = new Key('poll-wake');
    await other.save(holder);
    const waiter = new Key('poll-wake');
    const waiting = store.waitAndSave(waiter, { timeout: 10_000 });
    await sleep(200);
    const released = performance.now();
    await other.delete(holder);
    await waiting;
    expect(performance.now() - released).toBeLessThan(1_000);
    await store.delete(waiter);
  });

  it('ends a wait when a crashed holder\'s lock expires', async () => {
    const store = new MemcachedStore(client, { initialTtl: 1_000, pollInterval: 50 });
    await store.save(new Key('crashed-holder')); // never released
    const started = performance.now();
    const waiter = new Key('crashed-holder');
    await store.waitAndSave(waiter, { timeout: 10_000 });
    // 1 s TTL, kept 1 to 2 s by the server.
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(performance.now() - started).toBeLessThan(3_000);
    await store.delete(waiter);
  });
});

describe('memcached:// DSNs', () => {
  it('builds a store that owns its client and closes it', async () => {
    const store = createStore(`${server.dsn}?initial_ttl=2000&poll_interval=50&timeout=1000`);
    expect(store).toBeInstanceOf(MemcachedStore);
    const lock = new LockFactory(store).createLock('dsn-lock');
    expect(await lock.acquire()).toBe(true);
    expect(await new LockFactory(new MemcachedStore(client)).createLock('dsn-lock').acquire()).toBe(false);
    await lock.release();
    await store.close!();
  });

  it.each([
    ['memcached://', /names no host/],
    ['memcached://user:secret@127.0.0.1:11211', /SASL authentication is not supported/],
    ['memcached://127.0.0.1:11211/db', /has no path/],
    ['memcached://127.0.0.1:11211?weight=2', /unknown option "weight"/],
    ['memcached://127.0.0.1:11211?initial_ttl=500', /at least 1000 ms/],
    ['memcached://127.0.0.1:11211?timeout=soon', /"timeout" must be a positive number of ms, got "soon"/],
    ['memcached://127.0.0.1:99999', /not a valid URL/],
  ])('refuses %s', (dsn, message) => {
    expect(() => createStore(dsn)).toThrow(InvalidArgumentError);
    expect(() => createStore(dsn)).toThrow(message);
  });

  it('never shows a password', () => {
    expect(() => createStore('memcached://user:hunter2@127.0.0.1')).not.toThrow(/hunter2/);
  });

  it('uses a memcached client passed to createStore()', async () => {
    const store = createStore(client);
    expect(store).toBeInstanceOf(MemcachedStore);
  });
});
