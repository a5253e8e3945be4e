// Issue 9 item 7: overlapping blocking acquisitions on ONE Lock object (two
// acquireRead(true) calls in flight together, or two acquire(true)) each get a kernel
// grant on their own descriptor or handle. The key can hold only one: the other grant
// used to be overwritten and leaked, so that after release() writers in every process
// stayed blocked until this process exited.
import { describe, expect, it } from 'vitest';
import { FlockStore, LockFactory, SemaphoreStore } from '../../src/index.js';
import { LockHolder } from '../helpers/child.js';
import { semaphoreNamespace } from '../helpers/semaphores.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const { namespace, track } = semaphoreNamespace();
let counter = 0;
const resource = (label: string) => {
  const name = `overlap-${label}-${process.pid}-${counter++}`;
  track(name);
  return name;
};

describe('overlapping blocking acquisitions on one Lock', () => {
  it('FlockStore: two acquireRead(true) in flight, then release(): a writer in another process gets in at once', async () => {
    const name = resource('read');
    const writer = new LockHolder();
    expect((await writer.send({ cmd: 'acquire', store: 'flock', dir, resource: name })).acquired).toBe(true);
    const lock = new LockFactory(new FlockStore(dir)).createLock(name);
    const first = lock.acquireRead(true);
    const second = lock.acquireRead(true);
    await new Promise((r) => setTimeout(r, 30)); // both queued behind the writer
    await writer.send({ cmd: 'release' });
    expect(await Promise.all([first, second])).toEqual([true, true]);
    await lock.release();
    const other = await writer.send({ cmd: 'acquire', store: 'flock', dir, resource: name, name: 'after' });
    expect(other.acquired).toBe(true);
  });

  it('FlockStore: acquire(true) and acquireRead(true) in flight, then release(): nothing stays held', async () => {
    const name = resource('mixed');
    const writer = new LockHolder();
    expect((await writer.send({ cmd: 'acquire', store: 'flock', dir, resource: name })).acquired).toBe(true);
    const lock = new LockFactory(new FlockStore(dir)).createLock(name);
    const exclusive = lock.acquire(true);
    const shared = lock.acquireRead(true);
    await new Promise((r) => setTimeout(r, 30));
    await writer.send({ cmd: 'release' });
    expect(await Promise.all([exclusive, shared])).toEqual([true, true]);
    await lock.release();
    expect((await writer.send({ cmd: 'acquire', store: 'flock', dir, resource: name, name: 'after' })).acquired).toBe(true);
  });

  it('SemaphoreStore: two acquire(true) in flight resolve together, then release(): another process gets in at once', async () => {
    const name = resource('sem');
    const holder = new LockHolder();
    expect((await holder.send({ cmd: 'acquire', store: 'semaphore', namespace, resource: name })).acquired).toBe(true);
    const lock = new LockFactory(new SemaphoreStore({ namespace })).createLock(name);
    const first = lock.acquire(true);
    const second = lock.acquire(true);
    await new Promise((r) => setTimeout(r, 30));
    await holder.send({ cmd: 'release' });
    expect(await Promise.all([first, second])).toEqual([true, true]);
    await lock.release();
    expect((await holder.send({ cmd: 'acquire', store: 'semaphore', namespace, resource: name, name: 'after' })).acquired).toBe(true);
  });

  it('a second call waiting for its turn keeps its own timeout and signal', async () => {
    const name = resource('limits');
    const writer = new LockHolder();
    expect((await writer.send({ cmd: 'acquire', store: 'flock', dir, resource: name })).acquired).toBe(true);
    const lock = new LockFactory(new FlockStore(dir)).createLock(name);
    const first = lock.acquireRead(true);
    expect(await lock.acquireRead({ timeout: 100 })).toBe(false);
    const controller = new AbortController();
    const aborted = lock.acquireRead({ signal: controller.signal });
    controller.abort(new Error('enough'));
    await expect(aborted).rejects.toThrow('enough');
    await writer.send({ cmd: 'release' });
    expect(await first).toBe(true);
    await lock.release();
    expect((await writer.send({ cmd: 'acquire', store: 'flock', dir, resource: name, name: 'after' })).acquired).toBe(true);
  });
});
