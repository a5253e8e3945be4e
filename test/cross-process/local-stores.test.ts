// Local stores across real processes: exclusion, prompt hand-off, and the kernel
// freeing a killed holder's lock.
import { describe, expect, it } from 'vitest';
import { FlockStore, LockFactory, SemaphoreStore, type PersistingStore } from '../../src/index.js';
import { LockHolder } from '../helpers/child.js';
import { semaphoreNamespace } from '../helpers/semaphores.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const { namespace, track } = semaphoreNamespace();

const targets: Array<{ name: string; store: string; make(): PersistingStore; options: Record<string, unknown> }> = [
  { name: 'FlockStore', store: 'flock', make: () => new FlockStore(dir), options: { dir } },
  { name: 'SemaphoreStore', store: 'semaphore', make: () => new SemaphoreStore({ namespace }), options: { namespace } },
];

let counter = 0;
function resource(label: string): string {
  const name = `xproc-${label}-${process.pid}-${counter++}`;
  track(name);
  return name;
}

const nowNs = () => process.hrtime.bigint();

describe.each(targets)('$name across processes', ({ store, make, options }) => {
  it('excludes another process, and lets it in after release', async () => {
    const name = resource('exclusion');
    const child = new LockHolder();
    expect((await child.send({ cmd: 'acquire', store, ...options, resource: name })).acquired).toBe(true);
    const lock = new LockFactory(make()).createLock(name);
    expect(await lock.acquire()).toBe(false);
    expect(await lock.acquire({ timeout: 50 })).toBe(false);
    await child.send({ cmd: 'release' });
    expect(await lock.acquire()).toBe(true);
    // And the other way round.
    expect((await child.send({ cmd: 'acquire', store, ...options, resource: name, name: 'second' })).acquired).toBe(false);
    await lock.release();
    expect((await child.send({ cmd: 'acquire', store, ...options, resource: name, name: 'third' })).acquired).toBe(true);
  });

  it('wakes a waiter blocked in another process when the holder releases', async () => {
    const name = resource('handoff');
    const lock = new LockFactory(make()).createLock(name);
    const child = new LockHolder();
    await child.ready;
    for (let round = 0; round < 20; round++) {
      expect(await lock.acquire()).toBe(true);
      const granted = child.send({ cmd: 'acquire', store, ...options, resource: name, blocking: true, name: `r${round}` });
      await new Promise((r) => setTimeout(r, 15)); // let the child block in the kernel
      const releasedAt = nowNs();
      await lock.release();
      const reply = await granted;
      expect(reply.acquired).toBe(true);
      // Granted after this release (the child's stamp shares our monotonic clock). How
      // soon is the bench's business: a busy machine delays any wake-up.
      expect(BigInt(reply.at!)).toBeGreaterThan(releasedAt);
      await child.send({ cmd: 'release', name: `r${round}` });
    }
  });

  it('frees the lock of a holder killed with SIGKILL for a waiter at once', async () => {
    const name = resource('kill');
    const child = new LockHolder();
    expect((await child.send({ cmd: 'acquire', store, ...options, resource: name })).acquired).toBe(true);
    const lock = new LockFactory(make()).createLock(name);
    // Nothing but the kernel frees it (local locks have no expiry): a grant before the
    // timeout is the dead holder's lock freed with its process.
    const waiting = lock.acquire({ timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 30));
    child.child.kill('SIGKILL');
    expect(await waiting).toBe(true);
    await lock.release();
  });

  it('lets one holder at a time increment a shared counter across processes', async () => {
    const name = resource('counter');
    const children = [new LockHolder(), new LockHolder(), new LockHolder()];
    const lock = new LockFactory(make()).createLock(name);
    // Each child takes the lock in turn while the parent checks it can never get in.
    for (const [i, child] of children.entries()) {
      expect((await child.send({ cmd: 'acquire', store, ...options, resource: name, blocking: true, name: `c${i}` })).acquired).toBe(true);
      expect(await lock.acquire()).toBe(false);
      for (const other of children.filter((c) => c !== child)) {
        expect((await other.send({ cmd: 'acquire', store, ...options, resource: name, name: `probe${i}` })).acquired).toBe(false);
      }
      await child.send({ cmd: 'release', name: `c${i}` });
    }
    expect(await lock.acquire()).toBe(true);
    await lock.release();
  });
});
