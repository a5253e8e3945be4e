// ImmediateStore.waitNow(): the callback form of a blocking wait without limits that
// Lock's plain acquire(true) uses, so that it settles in the turn of the kernel's grant.
import { describe, expect, it } from 'vitest';
import { FlockStore, Key, Lock, LockFactory, SemaphoreStore } from '../../../src/index.js';
import type { ImmediateStore } from '../../../src/core/store.js';
import { semaphoreNamespace } from '../../helpers/semaphores.js';
import { tempDir } from '../../helpers/tmp.js';

const dir = tempDir();
const { namespace, track } = semaphoreNamespace();

const stores: Array<[string, () => ImmediateStore]> = [
  ['FlockStore', () => new FlockStore(dir)],
  ['SemaphoreStore', () => new SemaphoreStore({ namespace })],
];

/** Resolves with what `done` was called with; fails the test if it is called twice. */
function told(store: ImmediateStore, key: Key, busy = false): { outcome: Promise<unknown>; calls: () => number; heldWhenTold: () => boolean | undefined } {
  let calls = 0;
  let heldWhenTold: boolean | undefined;
  const outcome = new Promise<unknown>((resolve) => {
    store.waitNow(key, false, busy, (error) => {
      calls++;
      // What the callback is told must already be true when it is told: the key holds.
      if (error === null) heldWhenTold = store.saveNow(key, false, false) === true;
      resolve(error);
    });
  });
  return { outcome, calls: () => calls, heldWhenTold: () => heldWhenTold };
}

describe.each(stores)('%s.waitNow', (_name, makeStore) => {
  it('calls back once, holding, when the holder releases; waiters of one process are told in the order they came', async () => {
    const resource = `wait-now-order-${Math.random()}`;
    track(resource);
    const store = makeStore();
    const holder = new LockFactory(store).createLock(resource);
    expect(await holder.acquire()).toBe(true);
    const first = new Key(resource);
    const second = new Key(resource);
    const a = told(store, first);
    const b = told(store, second);
    const order: string[] = [];
    void a.outcome.then(() => order.push('first'));
    void b.outcome.then(() => order.push('second'));
    await holder.release();
    expect(await a.outcome).toBe(null);
    expect(a.heldWhenTold()).toBe(true);
    // The second waits behind the first, which still holds.
    expect(b.calls()).toBe(0);
    await store.delete(first);
    expect(await b.outcome).toBe(null);
    expect(b.heldWhenTold()).toBe(true);
    expect(order).toEqual(['first', 'second']);
    expect([a.calls(), b.calls()]).toEqual([1, 1]);
    await store.delete(second);
    expect(await holder.acquire()).toBe(true);
    await holder.release();
  });

  it('calls back at once when the lock is free, and with a key that already holds it', async () => {
    const resource = `wait-now-free-${Math.random()}`;
    track(resource);
    const store = makeStore();
    const key = new Key(resource);
    const free = told(store, key);
    // Told before waitNow() returned: no kernel wait, no turn.
    expect(free.calls()).toBe(1);
    expect(await free.outcome).toBe(null);
    const again = told(store, key);
    expect(again.calls()).toBe(1);
    expect(await again.outcome).toBe(null);
    await store.delete(key);
  });

  it('a second call of one key takes its turn after the first, and finds the lock held', async () => {
    const resource = `wait-now-turns-${Math.random()}`;
    track(resource);
    const store = makeStore();
    const holder = new LockFactory(store).createLock(resource);
    expect(await holder.acquire()).toBe(true);
    const key = new Key(resource);
    const first = told(store, key);
    const second = told(store, key);
    await holder.release();
    expect(await first.outcome).toBe(null);
    expect(await second.outcome).toBe(null);
    expect([first.calls(), second.calls()]).toEqual([1, 1]);
    // One grant kept, none leaked: after one delete, others can take the lock.
    await store.delete(key);
    expect(await holder.acquire()).toBe(true);
    await holder.release();
  });
});

describe.each(stores)('%s: code that runs inside a grant', (_name, makeStore) => {
  it('may acquire and release other locks from the logger told of the grant, without upsetting the queue', async () => {
    const resource = `wait-now-reentrant-${Math.random()}`;
    const other = `${resource}-other`;
    track(resource);
    track(other);
    const store = makeStore();
    const factory = new LockFactory(store);
    const holder = factory.createLock(resource);
    expect(await holder.acquire()).toBe(true);
    const seen: string[] = [];
    const inside: Array<Promise<unknown>> = [];
    // A logger that locks as it is told of the grant: it runs in the addon's callback.
    const next = factory.createLock(resource);
    const elsewhere = factory.createLock(other);
    const logger = {
      debug(message: string) {
        if (!message.startsWith('Successfully acquired')) return;
        seen.push('granted');
        inside.push(next.acquire().then((held) => seen.push(`same resource, non-blocking: ${held}`)));
        inside.push(elsewhere.acquire(true).then(async (held) => {
          seen.push(`other resource: ${held}`);
          await elsewhere.release();
        }));
        inside.push(next.acquire(true).then((held) => seen.push(`same resource, blocking: ${held}`)));
      },
    };
    const logged = new Lock(new Key(resource), store, { logger });
    const granted = logged.acquire(true);
    await holder.release();
    expect(await granted).toBe(true);
    await Promise.all(inside.slice(0, 2));
    expect(seen).toEqual(['granted', 'same resource, non-blocking: false', 'other resource: true']);
    // The blocking one waits its turn behind the holder that was granted.
    await logged.release();
    await Promise.all(inside);
    expect(seen[3]).toBe('same resource, blocking: true');
    await next.release();
    // Nothing is left held: a fresh lock takes the resource at once.
    const fresh = factory.createLock(resource);
    expect(await fresh.acquire()).toBe(true);
    await fresh.release();
  });
});
