// MultiLock in one process, on real stores: all or nothing, one canonical order, one
// timeout and signal for the whole wait, loss, refresh and release of every lock.
// (Across processes: test/cross-process/multi-lock.test.ts.)
import { describe, expect, it } from 'vitest';
import {
  FlockStore,
  InMemoryStore,
  InvalidArgumentError,
  LockConflictedError,
  LockFactory,
  LockReleasingError,
  MultiLock,
  RedisStore,
  type PersistingStore,
} from '../../src/index.js';
import { RedisServer, ready } from '../helpers/redis-server.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const stores: Array<[string, () => PersistingStore]> = [
  ['FlockStore', () => new FlockStore(dir)],
  ['InMemoryStore', () => new InMemoryStore()],
];

/** Whether `resource` is free for another owner (taken and given back at once). */
async function isFree(factory: LockFactory, resource: string): Promise<boolean> {
  const probe = factory.createLock(resource);
  if (!(await probe.acquire())) return false;
  await probe.release();
  return true;
}

let round = 0;
/** Resource names of their own for one test. */
function names(...letters: string[]): string[] {
  round++;
  return letters.map((letter) => `multi-${round}-${letter}`);
}

describe('MultiLock: input', () => {
  const factory = new LockFactory(new InMemoryStore());

  it('sorts the resources into one order and drops duplicates', () => {
    expect(factory.createMultiLock(['b', 'a', 'c', 'a']).resources).toEqual(['a', 'b', 'c']);
    expect(factory.createMultiLock(['c', 'b', 'a']).resources).toEqual(factory.createMultiLock(['a', 'c', 'b']).resources);
    // Code units, not a locale's collation: upper case sorts before lower case everywhere.
    expect(factory.createMultiLock(['a', 'B', 'é', 'Z']).resources).toEqual(['B', 'Z', 'a', 'é']);
    expect(factory.createMultiLock(['only']).keys.map((key) => key.resource)).toEqual(['only']);
  });

  it('refuses what is not a non-empty array of non-empty strings, naming the accepted form', () => {
    const form = /a non-empty array of non-empty strings/;
    for (const bad of [undefined, 'a,b', { 0: 'a' }, 42]) {
      expect(() => factory.createMultiLock(bad as never)).toThrow(InvalidArgumentError);
      expect(() => factory.createMultiLock(bad as never)).toThrow(form);
    }
    expect(() => factory.createMultiLock([])).toThrow(/got an empty array/);
    expect(() => factory.createMultiLock(['a', ''])).toThrow(/element 1 is ""/);
    expect(() => factory.createMultiLock(['a', 7 as never])).toThrow(/element 1 is 7/);
    expect(() => factory.createMultiLock(['a', null as never])).toThrow(/element 1 is null/);
  });

  it('refuses unknown options, and locks of one resource twice in the constructor', () => {
    expect(() => factory.createMultiLock(['a'], { timeout: 5 } as never)).toThrow(/unknown option "timeout"/);
    expect(() => factory.createMultiLock(['a'], 30 as never)).toThrow(InvalidArgumentError);
    expect(() => new MultiLock([factory.createLock('a'), factory.createLock('a')])).toThrow(/"a" appears twice/);
    expect(() => new MultiLock([])).toThrow(/non-empty array of Lock instances/);
    expect(() => new MultiLock(['a'] as never)).toThrow(/non-empty array of Lock instances/);
    expect(() => new MultiLock([factory.createLock('a')], { autoRelease: 'yes' } as never)).toThrow(/autoRelease must be a boolean/);
  });

  it('checks acquire options as Lock does', async () => {
    const multi = factory.createMultiLock(['a', 'b']);
    await expect(multi.acquire({ blocking: false, timeout: 10 })).rejects.toThrow(/blocking is false/);
    await expect(multi.acquire({ wait: true } as never)).rejects.toThrow(/unknown option "wait"/);
    expect(await isFree(factory, 'a')).toBe(true);
  });
});

describe.each(stores)('MultiLock on %s', (_name, makeStore) => {
  it('takes every lock, excludes other owners from each, and releases them all', async () => {
    const factory = new LockFactory(makeStore());
    const [a, b, c] = names('a', 'b', 'c');
    const multi = factory.createMultiLock([c!, a!, b!]);
    expect(await multi.acquire()).toBe(true);
    expect(await multi.isAcquired()).toBe(true);
    expect(await multi.acquire()).toBe(true); // held: true again
    for (const resource of [a!, b!, c!]) expect(await isFree(factory, resource)).toBe(false);
    expect(await factory.createMultiLock([b!]).acquire()).toBe(false);
    await multi.release();
    expect(await multi.isAcquired()).toBe(false);
    for (const resource of [a!, b!, c!]) expect(await isFree(factory, resource)).toBe(true);
  });

  it('leaves nothing held when a non-blocking acquire finds one resource busy', async () => {
    const factory = new LockFactory(makeStore());
    const [a, b, c] = names('a', 'b', 'c');
    const other = factory.createLock(b!);
    expect(await other.acquire()).toBe(true);
    const multi = factory.createMultiLock([a!, b!, c!]);
    expect(await multi.acquire()).toBe(false);
    expect(await multi.isAcquired()).toBe(false);
    expect(multi.signal.aborted).toBe(true);
    expect(await isFree(factory, a!)).toBe(true);
    expect(await isFree(factory, c!)).toBe(true);
    await other.release();
    expect(await multi.acquire()).toBe(true);
    await multi.release();
  });

  it('gives back every lock it held before when a new acquire fails (a refused promotion)', async () => {
    const factory = new LockFactory(makeStore());
    const [a, b] = names('a', 'b');
    const multi = factory.createMultiLock([a!, b!]);
    expect(await multi.acquireRead()).toBe(true);
    const reader = factory.createLock(b!);
    expect(await reader.acquireRead()).toBe(true); // both stores share read locks
    expect(await multi.acquire()).toBe(false); // b cannot become exclusive while another reads it
    expect(await isFree(factory, a!)).toBe(true);
    await reader.release();
    expect(await isFree(factory, b!)).toBe(true);
  });

  it('waits for each lock in turn and takes them all once they are free', async () => {
    const factory = new LockFactory(makeStore());
    const [a, b] = names('a', 'b');
    const holder = factory.createLock(b!);
    expect(await holder.acquire()).toBe(true);
    const multi = factory.createMultiLock([b!, a!]);
    const acquired = multi.acquire(true);
    // It holds a (taken in order) while it waits for b.
    await until(async () => !(await isFree(factory, a!)));
    await holder.release();
    expect(await acquired).toBe(true);
    expect(await multi.isAcquired()).toBe(true);
    await multi.release();
  });

  it('gives back what it took when its timeout runs out, one timeout for the whole wait', async () => {
    const factory = new LockFactory(makeStore());
    const [a, b] = names('a', 'b');
    const holdA = factory.createLock(a!);
    const holdB = factory.createLock(b!);
    expect(await holdA.acquire()).toBe(true);
    expect(await holdB.acquire()).toBe(true);
    const timeout = 6_000;
    const multi = factory.createMultiLock([a!, b!]);
    const outcome = multi.acquire({ timeout: `${timeout}ms` }).then((acquired) => ({ acquired, at: performance.now() }));
    // Let a go part-way: the wait for b gets only what is left of the timeout. Were the
    // timeout per lock, the acquire could not end before releasedAt + timeout.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await holdA.release();
    const releasedAt = performance.now();
    const { acquired, at } = await outcome;
    expect(acquired).toBe(false);
    expect(at - releasedAt).toBeLessThan(timeout);
    expect(await isFree(factory, a!)).toBe(true);
    await holdB.release();
    expect(await isFree(factory, b!)).toBe(true);
  });

  it('rejects with the reason when aborted while it waits, holding nothing', async () => {
    const factory = new LockFactory(makeStore());
    const [a, b] = names('a', 'b');
    const holder = factory.createLock(b!);
    expect(await holder.acquire()).toBe(true);
    const controller = new AbortController();
    const multi = factory.createMultiLock([a!, b!]);
    const acquired = multi.acquire({ signal: controller.signal });
    await until(async () => !(await isFree(factory, a!))); // a taken, waiting for b
    const reason = new Error('stop waiting');
    controller.abort(reason);
    await expect(acquired).rejects.toBe(reason);
    expect(await isFree(factory, a!)).toBe(true);
    await expect(multi.acquire({ signal: controller.signal })).rejects.toBe(reason); // already aborted: not even a try
    await holder.release();
  });

  it('aborts its signal on release, and releases on await using', async () => {
    const factory = new LockFactory(makeStore());
    const [a, b] = names('a', 'b');
    {
      await using multi = factory.createMultiLock([a!, b!]);
      expect(await multi.acquire()).toBe(true);
      const signal = multi.signal;
      expect(signal.aborted).toBe(false);
      expect(multi.signal).toBe(signal);
      await multi.release();
      expect(signal.aborted).toBe(true);
      expect(String(signal.reason.message)).toMatch(/multi-lock .* was released/);
      expect(await multi.acquire()).toBe(true);
    }
    expect(await isFree(factory, a!)).toBe(true);
    expect(await isFree(factory, b!)).toBe(true);
    {
      await using kept = factory.createMultiLock([a!, b!], { autoRelease: false });
      expect(await kept.acquire()).toBe(true);
    }
    expect(await isFree(factory, a!)).toBe(false);
  });
});

describe('MultiLock lifetimes', () => {
  it('reports the earliest expiry and refreshes every lock', async () => {
    const store = new InMemoryStore();
    const long = new LockFactory(store).createLock('life-a', { ttl: '10m' });
    const short = new LockFactory(store).createLock('life-b', { ttl: '5m' });
    const multi = new MultiLock([short, long]);
    expect(multi.resources).toEqual(['life-a', 'life-b']);
    expect(multi.getRemainingLifetime()).toBeNull();
    expect(await multi.acquire()).toBe(true);
    expect(multi.getRemainingLifetime()).toBeLessThanOrEqual(300_000);
    expect(multi.getRemainingLifetime()).toBeGreaterThan(200_000);
    expect(multi.isExpired()).toBe(false);
    await multi.refresh('1h');
    expect(long.getRemainingLifetime()).toBeGreaterThan(3_000_000);
    expect(short.getRemainingLifetime()).toBeGreaterThan(3_000_000);
    await multi.refresh();
    expect(multi.getRemainingLifetime()).toBeLessThanOrEqual(300_000);
    await multi.release();
  });
});

describe('MultiLock on Redis', () => {
  it('aborts its signal when one lock is lost, with that lock\'s reason, and keeps the others until release', async () => {
    const server = await RedisServer.start();
    const factory = new LockFactory(new RedisStore(await ready(server.client())));
    const admin = await ready(server.client());
    const multi = factory.createMultiLock(['lost-b', 'lost-a'], { ttl: '10m' });
    expect(await multi.acquire()).toBe(true);
    const signal = multi.signal;
    await admin.del('lost-b');
    await expect(multi.refresh()).rejects.toBeInstanceOf(LockConflictedError);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(LockConflictedError);
    expect(await multi.isAcquired()).toBe(false);
    expect(await isFree(factory, 'lost-a')).toBe(false);
    await multi.release();
    expect(await isFree(factory, 'lost-a')).toBe(true);
  });

  it('tries every release when one fails, and says which in a LockReleasingError', async () => {
    const server = await RedisServer.start();
    const redisLock = new LockFactory(new RedisStore(await ready(server.client({ maxRetriesPerRequest: 0 })))).createLock('release-a');
    const flock = new LockFactory(new FlockStore(dir));
    const multi = new MultiLock([flock.createLock('release-b'), redisLock]);
    expect(await multi.acquire()).toBe(true);
    await server.stop();
    const error: unknown = await multi.release().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LockReleasingError);
    expect((error as Error).message).toMatch(/Failed to release "release-a" of the multi-lock "release-a", "release-b"/);
    expect((error as Error).cause).toBeInstanceOf(LockReleasingError);
    expect(await isFree(flock, 'release-b')).toBe(true);
  });
});

/** Polls an asynchronous condition (an event, not a time window). */
async function until(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
