// The Semaphore API itself (over LockPermitStore on InMemoryStore): Symfony's checks and
// messages, lockwright's options, errors and diagnostics channels.
import diagnostics from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import {
  InMemoryStore,
  InvalidArgumentError,
  LockAcquiringError,
  LockPermitStore,
  LockReleasingError,
  Semaphore,
  SemaphoreAcquiringError,
  SemaphoreExpiredError,
  SemaphoreFactory,
  SemaphoreKey,
  SemaphoreReleasingError,
  semaphoreChannelNames,
  type PermitStore,
  type SemaphoreMessage,
} from '../../src/index.js';

const factory = () => new SemaphoreFactory(new LockPermitStore(new InMemoryStore()));

describe('SemaphoreKey', () => {
  it("refuses limits and weights as Symfony does, with Symfony's messages", () => {
    expect(() => new SemaphoreKey('r', 0)).toThrow('The limit (0) should be greater than 0.');
    expect(() => new SemaphoreKey('r', 2, 0)).toThrow('The weight (0) should be greater than 0.');
    expect(() => new SemaphoreKey('r', 2, 3)).toThrow('The weight (3) should be lower or equals to the limit (2).');
    expect(() => new SemaphoreKey('r', 2.5)).toThrow(/limit must be a whole number of permits; got 2.5/);
    expect(() => new SemaphoreKey('r', '2' as never)).toThrow(InvalidArgumentError);
    expect(() => new SemaphoreKey('', 2)).toThrow(/non-empty string/);
  });

  it('serializes with its limit and weight, and fromJSON checks them', () => {
    const key = new SemaphoreKey('travel', 5, 2);
    key.setState('token', 'abc');
    key.reduceLifetime(60_000);
    const copy = SemaphoreKey.fromJSON(JSON.stringify(key));
    expect(copy).toBeInstanceOf(SemaphoreKey);
    expect([copy.resource, copy.limit, copy.weight, copy.getState('token')]).toEqual(['travel', 5, 2, 'abc']);
    expect(copy.getRemainingLifetime()).toBeGreaterThan(50_000);
    expect(() => SemaphoreKey.fromJSON({ v: 1, resource: 'x', expiresAt: null, state: {} } as never)).toThrow(/needs the "limit" and "weight"/);
    expect(() => SemaphoreKey.fromJSON({ v: 1, resource: 'x', expiresAt: null, state: {}, limit: 1, weight: 2 })).toThrow(/weight \(2\) should be lower/);
  });
});

describe('SemaphoreFactory and Semaphore', () => {
  it('refuses a wrong store, unknown options and a positional weight, naming the fix', () => {
    expect(() => new SemaphoreFactory({} as never)).toThrow(/needs a permit store/);
    expect(() => factory().createSemaphore('r', 2, 1 as never)).toThrow(/Write \{ weight: 1 \} for a weight/);
    expect(() => factory().createSemaphore('r', 2, { limit: 3 } as never)).toThrow(/unknown option "limit" \(known: weight, ttl, autoRelease, autoRefresh\)/);
    expect(() => factory().createSemaphore('r', 2, { ttl: 'soon' })).toThrow(InvalidArgumentError);
    expect(() => factory().createSemaphore('r', 2, { autoRefresh: true, ttl: null })).toThrow(/autoRefresh needs a ttl/);
    expect(() => new Semaphore(new SemaphoreKey('r', 1), 'redis://x' as never)).toThrow(/needs a permit store/);
  });

  it('has a five-minute TTL from the factory, none from the constructor', async () => {
    const semaphore = factory().createSemaphore('ttl', 2, { weight: 2 });
    expect(semaphore.limit).toBe(2);
    expect(semaphore.weight).toBe(2);
    expect(await semaphore.acquire()).toBe(true);
    expect(semaphore.getRemainingLifetime()).toBeGreaterThan(299_000);
    await semaphore.release();
    const bare = new Semaphore(new SemaphoreKey('bare', 1), new LockPermitStore(new InMemoryStore()));
    expect(await bare.acquire()).toBe(true);
    expect(bare.getRemainingLifetime()).toBeNull();
    await bare.release();
  });

  it('speaks of semaphores: errors are Semaphore*Error (also Lock*Error) with semaphore messages', async () => {
    const failing: PermitStore = {
      save: async () => {
        throw new Error('backend down');
      },
      delete: async () => {
        throw new Error('backend down');
      },
      exists: async () => true,
      putOffExpiration: async () => {},
    };
    const semaphore = new SemaphoreFactory(failing).createSemaphore('words', 1);
    const acquiring = await semaphore.acquire().catch((error: unknown) => error);
    expect(acquiring).toBeInstanceOf(SemaphoreAcquiringError);
    expect(acquiring).toBeInstanceOf(LockAcquiringError);
    expect((acquiring as Error).message).toBe('Failed to acquire the "words" semaphore.');
    expect((acquiring as SemaphoreAcquiringError).code).toBe('SEMAPHORE_ACQUIRING_FAILED');
    const releasing = await semaphore.release().catch((error: unknown) => error);
    expect(releasing).toBeInstanceOf(SemaphoreReleasingError);
    expect(releasing).toBeInstanceOf(LockReleasingError);
    expect((releasing as Error).message).toBe('Failed to release the "words" semaphore.');
    expect(semaphore.signal.reason.message).toBe('The "words" semaphore is not held.');
    await expect(semaphore.refresh(null as never)).rejects.toThrow(InvalidArgumentError);
  });

  it('a refresh of permits lost meanwhile throws SemaphoreExpiredError and aborts the signal', async () => {
    const locks = new InMemoryStore();
    const store = new LockPermitStore(locks);
    const semaphore = new SemaphoreFactory(store).createSemaphore('lost', 1, { ttl: 60_000 });
    expect(await semaphore.acquire()).toBe(true);
    const signal = semaphore.signal;
    await store.delete(semaphore.key); // the permits vanish behind the semaphore's back
    await expect(semaphore.refresh()).rejects.toBeInstanceOf(SemaphoreExpiredError);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(SemaphoreExpiredError);
  });

  it('publishes on the lockwright:semaphore:* channels, not on the lock ones', async () => {
    const seen: Array<[string, SemaphoreMessage]> = [];
    const listeners = Object.entries(semaphoreChannelNames)
      .filter(([name]) => name !== 'acquire')
      .map(([name, channel]) => {
        const listener = (message: unknown) => seen.push([name, message as SemaphoreMessage]);
        diagnostics.subscribe(channel, listener);
        return () => diagnostics.unsubscribe(channel, listener);
      });
    const lockEvents: unknown[] = [];
    const onLock = (m: unknown) => lockEvents.push(m);
    diagnostics.subscribe('lockwright:lock:release', onLock);
    try {
      const f = factory();
      const a = f.createSemaphore('channels', 1);
      const b = f.createSemaphore('channels', 1);
      await a.acquire();
      await b.acquire();
      await a.release();
      expect(seen.map(([name]) => name)).toEqual(['conflict', 'release']);
      const [, conflict] = seen[0]!;
      expect(conflict).toMatchObject({ semaphore: b, resource: 'channels', store: 'LockPermitStore', limit: 1, weight: 1, blocking: false, ttl: 300_000 });
      expect(seen[1]![1].semaphore).toBe(a);
      // The slot locks underneath are the store's business: Lock events on them are
      // published (they are locks), but none names the semaphore.
      expect(lockEvents.every((m) => (m as { resource: string }).resource !== 'channels')).toBe(true);
    } finally {
      for (const off of listeners) off();
      diagnostics.unsubscribe('lockwright:lock:release', onLock);
    }
  });
});
