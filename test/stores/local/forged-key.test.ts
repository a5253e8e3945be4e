// Issue 9 item 4 (local stores): a key rebuilt with Key.fromJSON() whose state claims a
// FlockStore or SemaphoreStore handle must not make acquire() return true with nothing
// locked. The stores trust only state they created themselves; across processes, the
// forged owner never excludes anyone and never believes it holds the lock.
import { describe, expect, it } from 'vitest';
import { FlockStore, InvalidArgumentError, Key, LockAcquiringError, LockFactory, SemaphoreStore, type PersistingStore } from '../../../src/index.js';
import { LockHolder } from '../../helpers/child.js';
import { semaphoreNamespace } from '../../helpers/semaphores.js';
import { tempDir } from '../../helpers/tmp.js';

const dir = tempDir();
const { namespace, track } = semaphoreNamespace();

const targets = [
  {
    name: 'FlockStore',
    make: (): PersistingStore => new FlockStore(dir),
    child: { store: 'flock', dir },
    state: { 'lockwright:flock': { handle: { path: '/nowhere', state: 'exclusive' }, shared: false } },
  },
  {
    name: 'SemaphoreStore',
    make: (): PersistingStore => new SemaphoreStore({ namespace }),
    child: { store: 'semaphore', namespace },
    state: { 'lockwright:semaphore': { key: 1, locked: true } },
  },
];

describe.each(targets)('$name with a forged key', ({ name, make, child, state }) => {
  it('refuses to acquire with it, holds nothing, and excludes nobody in another process', async () => {
    const resource = `forged-${name}-${process.pid}`;
    track(resource);
    const forged = Key.fromJSON(JSON.stringify({ v: 1, resource, expiresAt: null, state }));
    const lock = new LockFactory(make()).createLockFromKey(forged);
    expect(await lock.isAcquired()).toBe(false);
    const error = await lock.acquire().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LockAcquiringError);
    expect((error as Error).cause).toBeInstanceOf(InvalidArgumentError);
    expect(String((error as Error).cause)).toMatch(/Key\.fromJSON/);
    await expect(lock.acquire(true)).rejects.toBeInstanceOf(LockAcquiringError);
    expect(await lock.isAcquired()).toBe(false);

    // Another process takes the lock at once: nothing was locked for the forged key.
    const other = new LockHolder();
    expect((await other.send({ cmd: 'acquire', ...child, resource })).acquired).toBe(true);
    // And while it holds, the forged owner still does not believe it holds the lock.
    await expect(lock.acquire()).rejects.toBeInstanceOf(LockAcquiringError);
    expect(await lock.isAcquired()).toBe(false);
    // release() with forged state unlocks nothing of the other process's.
    await lock.release().catch(() => undefined);
    expect((await other.send({ cmd: 'acquire', ...child, resource, name: 'second' })).acquired).toBe(false);
    await other.send({ cmd: 'release' });

    // A fresh key of this process works as usual.
    const fresh = new LockFactory(make()).createLock(resource);
    expect(await fresh.acquire()).toBe(true);
    await fresh.release();
  });
});
