import { describe, expect, it } from 'vitest';
import {
  InMemoryStore,
  InvalidArgumentError,
  InvalidTtlError,
  Key,
  Lock,
  LockAcquiringError,
  LockConflictedError,
  LockFactory,
  LockReleasingError,
  LockStorageError,
  type PersistingStore,
} from '../../src/index.js';

/** A real store with the shared-lock methods taken away (a store without read locks). */
class ExclusiveOnlyStore implements PersistingStore {
  readonly #inner = new InMemoryStore();
  save = (key: Key) => this.#inner.save(key);
  delete = (key: Key) => this.#inner.delete(key);
  exists = (key: Key) => this.#inner.exists(key);
  putOffExpiration = (key: Key, ttl: number) => this.#inner.putOffExpiration(key, ttl);
}

describe('Lock', () => {
  it('polls a store that cannot wait, until the holder releases', async () => {
    const factory = new LockFactory(new ExclusiveOnlyStore());
    const holder = factory.createLock('poll');
    const waiter = factory.createLock('poll');
    await holder.acquire();
    setTimeout(() => void holder.release(), 150);
    const started = performance.now();
    expect(await waiter.acquire(true)).toBe(true);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(140); // a lower bound: timers never fire early
    expect(waited).toBeLessThan(10_000); // bounded (a poll every ~100 ms), generously
    await waiter.release();
  });

  it('returns false when a polling wait times out, and holds nothing', async () => {
    const factory = new LockFactory(new ExclusiveOnlyStore());
    const holder = factory.createLock('timeout');
    const waiter = factory.createLock('timeout');
    await holder.acquire();
    const started = performance.now();
    expect(await waiter.acquire({ timeout: 120 })).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    expect(await waiter.isAcquired()).toBe(false);
    expect(await waiter.acquire({ timeout: 0 })).toBe(false);
    await holder.release();
  });

  it('rejects with the abort reason and leaves nothing held', async () => {
    const factory = new LockFactory(new InMemoryStore());
    const holder = factory.createLock('abort');
    const waiter = factory.createLock('abort');
    await holder.acquire();
    const controller = new AbortController();
    const reason = new Error('shutting down');
    setTimeout(() => controller.abort(reason), 50);
    await expect(waiter.acquire({ signal: controller.signal })).rejects.toBe(reason);
    expect(await waiter.isAcquired()).toBe(false);
    await holder.release();
    // An already-aborted signal never touches the store.
    await expect(waiter.acquire({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(await waiter.isAcquired()).toBe(false);
  });

  it('falls back to an exclusive lock for reads on a store without shared locks', async () => {
    const factory = new LockFactory(new ExclusiveOnlyStore());
    const reader = factory.createLock('exclusive-reads');
    const other = factory.createLock('exclusive-reads');
    expect(await reader.acquireRead()).toBe(true);
    expect(await other.acquireRead()).toBe(false);
    await reader.release();
  });

  it('refreshes after acquiring when it has a TTL, and not when ttl is null', async () => {
    const factory = new LockFactory(new InMemoryStore());
    const withTtl = factory.createLock('ttl', { ttl: 10_000 });
    await withTtl.acquire();
    expect(withTtl.getRemainingLifetime()).toBeGreaterThan(9_000);
    await withTtl.release();
    const withoutTtl = factory.createLock('no-ttl', { ttl: null });
    await withoutTtl.acquire();
    expect(withoutTtl.getRemainingLifetime()).toBeNull();
    await expect(withoutTtl.refresh()).rejects.toThrow(InvalidArgumentError);
    await expect(withoutTtl.refresh()).rejects.toThrow(/expiration duration/);
    await withoutTtl.release();
  });

  it('reports a refresh refused by the store as LockConflictedError and aborts its signal', async () => {
    const store = new InMemoryStore();
    const factory = new LockFactory(store);
    const lock = factory.createLock('lost', { ttl: 10_000 });
    await lock.acquire();
    const signal = lock.signal;
    expect(signal.aborted).toBe(false);
    await store.delete(lock.key); // the lock disappears behind the holder's back
    await expect(lock.refresh()).rejects.toBeInstanceOf(LockConflictedError);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(LockConflictedError);
  });

  it('gives each holding period its own signal, aborted on release', async () => {
    const lock = new LockFactory(new InMemoryStore()).createLock('signal');
    expect(lock.signal.aborted).toBe(true);
    await lock.acquire();
    const first = lock.signal;
    expect(first.aborted).toBe(false);
    expect(lock.signal).toBe(first);
    await lock.release();
    expect(first.aborted).toBe(true);
    await lock.acquire();
    expect(lock.signal.aborted).toBe(false);
    expect(lock.signal).not.toBe(first);
    await lock.release();
  });

  it('releases on `await using` when autoRelease is on, and not when off', async () => {
    const store = new InMemoryStore();
    const factory = new LockFactory(store);
    const probe = factory.createLock('scoped');
    {
      await using lock = factory.createLock('scoped');
      await lock.acquire();
      expect(await probe.acquire()).toBe(false);
    }
    expect(await probe.acquire()).toBe(true);
    await probe.release();
    let kept: Lock;
    {
      await using lock = factory.createLock('scoped', { autoRelease: false });
      await lock.acquire();
      kept = lock;
    }
    expect(await kept.isAcquired()).toBe(true);
    await kept.release();
  });

  it('verifies a release with the store and says when it is still locked', async () => {
    class StickyStore extends InMemoryStore {
      override async delete(): Promise<void> {}
    }
    const lock = new LockFactory(new StickyStore()).createLock('sticky');
    await lock.acquire();
    await expect(lock.release()).rejects.toThrow(LockReleasingError);
    await expect(lock.release()).rejects.toThrow(/still locked/);
  });

  it('wraps store failures: LockAcquiringError and LockReleasingError with the cause', async () => {
    const failure = new LockStorageError('disk on fire');
    class BrokenStore extends InMemoryStore {
      override async save(): Promise<void> {
        throw failure;
      }
      override async delete(): Promise<void> {
        throw failure;
      }
    }
    const lock = new LockFactory(new BrokenStore()).createLock('broken');
    const acquireError = (await lock.acquire().catch((e: unknown) => e)) as Error;
    expect(acquireError).toBeInstanceOf(LockAcquiringError);
    expect(acquireError.message).toContain('"broken"');
    expect(acquireError.cause).toBe(failure);
    const releaseError = (await lock.release().catch((e: unknown) => e)) as Error;
    expect(releaseError).toBeInstanceOf(LockReleasingError);
    expect(releaseError.cause).toBe(failure);
  });

  it('logs through a console-like logger with the resource', async () => {
    const lines: string[] = [];
    const logger = { debug: (m: string) => lines.push(`debug ${m}`), info: (m: string) => lines.push(`info ${m}`) };
    const factory = new LockFactory(new InMemoryStore(), { logger });
    const lock = factory.createLock('logged');
    await lock.acquire();
    await factory.createLock('logged').acquire();
    await lock.release();
    expect(lines).toContain('debug Successfully acquired the "logged" lock.');
    expect(lines).toContain('info Failed to acquire the "logged" lock. Someone else already acquired the lock.');
    expect(lines).toContain('debug Successfully released the "logged" lock.');
  });
});

describe('bad input', () => {
  const factory = new LockFactory(new InMemoryStore());

  it.each([
    ['negative', -1],
    ['zero', 0],
    ['NaN', Number.NaN],
    ['Infinity', Infinity],
    ['a string', '300'],
    ['an object', {}],
  ])('rejects a %s TTL with InvalidTtlError naming it', async (_label, ttl) => {
    expect(() => factory.createLock('ttl', { ttl: ttl as number })).toThrow(InvalidTtlError);
    expect(() => factory.createLock('ttl', { ttl: ttl as number })).toThrow(/options\.ttl (must be a duration|is .*a TTL must be at least 10 ms)/);
    const lock = factory.createLock('ttl-refresh');
    await lock.acquire();
    await expect(lock.refresh(ttl as number)).rejects.toBeInstanceOf(InvalidTtlError);
    // Nothing was lost or left behind by the bad call.
    expect(await lock.isAcquired()).toBe(true);
    await lock.release();
    const next = factory.createLock('ttl-refresh');
    expect(await next.acquire()).toBe(true);
    await next.release();
  });

  it.each([
    ['an empty resource', ''],
    ['a number', 7],
    ['null', null],
  ])('rejects %s as a resource name', (_label, resource) => {
    expect(() => factory.createLock(resource as string)).toThrow(InvalidArgumentError);
  });

  it.each([
    ['a negative timeout', { timeout: -1 }, /options.timeout/],
    ['a NaN timeout', { timeout: Number.NaN }, /options.timeout/],
    ['a text timeout', { timeout: '5 seconds' }, /options.timeout/],
    ['a timeout string without a unit', { timeout: '5' }, /options.timeout .*'5s' for seconds/],
    ['a non-signal', { signal: 'stop' }, /options.signal must be an AbortSignal/],
    ['blocking: false with a timeout', { blocking: false, timeout: 10 }, /blocking is false/],
    ['a non-boolean blocking', { blocking: 'yes' }, /options.blocking/],
    ['a number', 5, /boolean or an object/],
  ])('rejects %s in acquire options before touching the store', async (_label, options, message) => {
    const lock = factory.createLock('options');
    await expect(lock.acquire(options as never)).rejects.toThrow(InvalidArgumentError);
    await expect(lock.acquire(options as never)).rejects.toThrow(message);
    expect(await lock.isAcquired()).toBe(false);
    const other = factory.createLock('options');
    expect(await other.acquire()).toBe(true);
    await other.release();
  });

  it('rejects a factory without a store, and a non-key', () => {
    expect(() => new LockFactory(null as never)).toThrow(InvalidArgumentError);
    expect(() => factory.createLockFromKey({ resource: 'x' } as never)).toThrow(/needs a Key/);
    expect(() => factory.createLock('x', { autoRelease: 'no' as never })).toThrow(/autoRelease/);
  });
});
