// SysvPermitStore: the permit conformance suite against real System V semaphores, and
// what only a kernel semaphore of N has: one set per name in a key space of its own,
// owner/mode/fingerprint checks, the limit fixed by whoever initialised the set (a
// process asking for another gets a clear error), per-holder accounting within one
// process, and DSNs.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  LockFactory,
  LockStorageError,
  SemaphoreAcquiringError,
  SemaphoreExpiredError,
  SemaphoreFactory,
  SemaphoreKey,
  SemaphoreStore,
  SysvPermitStore,
  UnserializableKeyError,
  createPermitStore,
} from '../../../src/index.js';
import { loadNative } from '../../../src/native.js';
import { semaphoreIdentity } from '../../../src/stores/local/semaphore-key.js';
import { runPermitConformance } from '../../conformance/permits.js';
import { LockHolder } from '../../helpers/child.js';
import { removeSemaphoreSet, semaphoreNamespace } from '../../helpers/semaphores.js';

const { namespace, track, trackPermits } = semaphoreNamespace();
const permitHolder = fileURLToPath(new URL('../../fixtures/permit-holder.mjs', import.meta.url));

runPermitConformance({
  name: 'SysvPermitStore',
  makeStore: () => new SysvPermitStore({ namespace }),
  onResource: trackPermits,
  expect: { blocking: true, expiring: false },
});

let counter = 0;
function resource(label: string): string {
  const name = `sysv-${label}-${process.pid}-${counter++}`;
  trackPermits(name);
  return name;
}

/**
 * Free permits of a resource's set: fresh handles take one each until refused, then give
 * back (the count leaves the set as it was).
 */
function freePermits(name: string, limit: number): number {
  const { key, fingerprint } = semaphoreIdentity(namespace, name, 'permits');
  const probes = [];
  try {
    for (;;) {
      const probe = loadNative().openPermits(key, fingerprint, limit, 0o600);
      probes.push(probe);
      if (!probe.tryTake(1)) return probes.length - 1;
    }
  } finally {
    for (const probe of probes) probe.close();
  }
}

describe('SysvPermitStore', () => {
  it('counts each holder separately in one process: releasing one never gives back another', async () => {
    const store = new SysvPermitStore({ namespace });
    const name = resource('holders');
    const a = new SemaphoreKey(name, 5, 2);
    const b = new SemaphoreKey(name, 5, 3);
    await store.save(a, null);
    await store.save(b, null);
    expect(freePermits(name, 5)).toBe(0);
    await store.delete(a);
    expect(freePermits(name, 5)).toBe(2);
    await store.delete(a); // a second delete gives nothing back
    expect(freePermits(name, 5)).toBe(2);
    expect(await store.exists(b)).toBe(true);
    await store.delete(b);
    expect(freePermits(name, 5)).toBe(5);
  });

  it('keys do not serialize: the permits belong to the process that took them', async () => {
    const store = new SysvPermitStore({ namespace });
    const key = new SemaphoreKey(resource('travel'), 2);
    await store.save(key, null);
    expect(() => key.toJSON()).toThrow(UnserializableKeyError);
    await store.delete(key);
  });

  it('a lock and a semaphore of one name and namespace are different kernel objects', async () => {
    const name = resource('same-name');
    track(name);
    const lock = new LockFactory(new SemaphoreStore({ namespace })).createLock(name);
    expect(await lock.acquire()).toBe(true);
    const semaphore = new SemaphoreFactory(new SysvPermitStore({ namespace })).createSemaphore(name, 2, { weight: 2 });
    expect(await semaphore.acquire()).toBe(true);
    expect(semaphoreIdentity(namespace, name, 'permits').key).not.toBe(semaphoreIdentity(namespace, name).key);
    await semaphore.release();
    await lock.release();
  });

  it('refuses a limit above SEMVMX (32767) and unknown options', async () => {
    const store = new SysvPermitStore({ namespace });
    await expect(store.save(new SemaphoreKey(resource('huge'), 40_000), null)).rejects.toThrow(/at most 32767 permits \(SEMVMX\)/);
    expect(() => new SysvPermitStore({ namespace, ttl: 5 } as never)).toThrow(/unknown option "ttl"/);
    expect(() => new SysvPermitStore({ namespace: '' })).toThrow(InvalidArgumentError);
    expect(() => new SysvPermitStore({ mode: 0o1000 })).toThrow(/permission bits/);
  });

  it('a limit that disagrees with the set in this process is an InvalidArgumentError, and takes nothing', async () => {
    const store = new SysvPermitStore({ namespace });
    const name = resource('limit-here');
    const held = new SemaphoreKey(name, 3);
    await store.save(held, null);
    const other = new SemaphoreKey(name, 4);
    const error = await store.save(other, null).then(() => null, (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error!.message).toMatch(/has a limit of 3 permits in the kernel .* but this one asks for 4/);
    expect(error!.message).toMatch(/ipcrm -S 0x[0-9a-f]+/);
    expect(await store.exists(other)).toBe(false);
    expect(freePermits(name, 3)).toBe(2);
    await store.delete(held);
  });

  it('two processes that disagree on the limit: the later one gets the clear error, whichever it is', async () => {
    const name = resource('limit-xproc');
    const dsn = `semaphore://${encodeURIComponent(namespace)}`;
    const child = new LockHolder(permitHolder);
    expect((await child.send({ cmd: 'acquire', dsn, resource: name, limit: 3 })).acquired).toBe(true);
    // Here, through Semaphore: SemaphoreAcquiringError whose cause says what is wrong.
    const semaphore = new SemaphoreFactory(createPermitStore(dsn)).createSemaphore(name, 5);
    const error = await semaphore.acquire().then(() => null, (e: unknown) => e as Error & { cause?: Error });
    expect(error).toBeInstanceOf(SemaphoreAcquiringError);
    expect(error!.cause).toBeInstanceOf(InvalidArgumentError);
    expect(error!.cause!.message).toMatch(/has a limit of 3 permits in the kernel .* asks for 5/);
    // And the other way round: the set's limit stays 3 even once nobody holds a permit.
    await child.send({ cmd: 'release' });
    const agreeing = new SemaphoreFactory(createPermitStore(dsn)).createSemaphore(name, 3, { weight: 3 });
    expect(await agreeing.acquire()).toBe(true);
    await agreeing.release();
    const reply = await child.send({ cmd: 'acquire', dsn, resource: name, limit: 2, name: 'two' });
    expect(reply.error?.name).toBe('SemaphoreAcquiringError');
    expect((reply.error as { cause?: { name: string; message: string } }).cause).toMatchObject({
      name: 'InvalidArgumentError',
      message: expect.stringMatching(/has a limit of 3 permits in the kernel .* asks for 2/),
    });
  });

  it('a kept handle on a removed set does not decide the limit: the set as it is now does', async () => {
    const name = resource('limit-recreated');
    const dsn = `semaphore://${encodeURIComponent(namespace)}`;
    const store = new SysvPermitStore({ namespace });
    const old = new SemaphoreKey(name, 3);
    await store.save(old, null);
    await store.delete(old); // its handle is kept for reuse, with limit 3
    removeSemaphoreSet(semaphoreIdentity(namespace, name, 'permits').key);
    const child = new LockHolder(permitHolder);
    expect((await child.send({ cmd: 'acquire', dsn, resource: name, limit: 5 })).acquired).toBe(true);
    const fresh = new SemaphoreKey(name, 5, 4);
    await store.save(fresh, null);
    expect(await store.exists(fresh)).toBe(true);
    await expect(store.save(new SemaphoreKey(name, 5), null)).rejects.toThrow(/fewer than 1 of its 5 permits free/);
    await store.delete(fresh);
  });

  it('initialises a set once when many processes open it at the same moment', async () => {
    const name = resource('init-race');
    const dsn = `semaphore://${encodeURIComponent(namespace)}`;
    const children = Array.from({ length: 6 }, () => new LockHolder(permitHolder));
    await Promise.all(children.map((child) => child.ready));
    const replies = await Promise.all(children.map((child) => child.send({ cmd: 'acquire', dsn, resource: name, limit: 4 })));
    // Exactly 4 of the 6 get a permit: the set was initialised to 4, once.
    expect(replies.filter((reply) => reply.acquired === true)).toHaveLength(4);
    expect(replies.filter((reply) => reply.acquired === false)).toHaveLength(2);
    expect(replies.every((reply) => reply.error === undefined)).toBe(true);
  });

  it('reports permits lost when their set is removed (ipcrm): exists() false, signal aborted', async () => {
    const name = resource('ipcrm');
    const semaphore = new SemaphoreFactory(new SysvPermitStore({ namespace })).createSemaphore(name, 2);
    expect(await semaphore.acquire()).toBe(true);
    const signal = semaphore.signal;
    removeSemaphoreSet(semaphoreIdentity(namespace, name, 'permits').key);
    expect(await semaphore.isAcquired()).toBe(false);
    expect(signal.aborted).toBe(true);
    await semaphore.release(); // nothing to give back to a set that is gone
    expect(await semaphore.acquire()).toBe(true); // a fresh set
    await semaphore.release();
  });

  it('refresh() of permits whose set was removed throws SemaphoreExpiredError; a blocked wait fails with LockStorageError (EIDRM)', async () => {
    const name = resource('eidrm');
    const store = new SysvPermitStore({ namespace });
    const semaphore = new SemaphoreFactory(store).createSemaphore(name, 1);
    expect(await semaphore.acquire()).toBe(true);
    await semaphore.refresh(); // held: nothing to put off, no error
    const waiting = store.waitAndSave(new SemaphoreKey(name, 1), null).then(
      () => null,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    );
    // The wait was handed to a waiter thread before waitAndSave() returned: whether the
    // thread is already asleep in semop (EIDRM) or enters it just after (EINVAL), it fails.
    removeSemaphoreSet(semaphoreIdentity(namespace, name, 'permits').key);
    const error = await waiting;
    expect(error).toBeInstanceOf(LockStorageError);
    expect(error!.cause?.code).toMatch(/^(EIDRM|EINVAL)$/);
    expect(error!.message).toMatch(/removed/);
    await expect(semaphore.refresh()).rejects.toBeInstanceOf(SemaphoreExpiredError);
  });

  it('detects a key collision: another set on the key is an error (cause EEXIST), never shared', async () => {
    const name = resource('collision');
    const { key, fingerprint } = semaphoreIdentity(namespace, name, 'permits');
    const otherFingerprint = (fingerprint & 0x7fff) === 1 ? fingerprint + 1 : fingerprint - 1;
    const squatter = loadNative().openPermits(key, otherFingerprint, 2, 0o600);
    try {
      const error = await new SysvPermitStore({ namespace }).save(new SemaphoreKey(name, 2), null).then(
        () => null,
        (e: unknown) => e as Error & { cause?: { code?: string } },
      );
      expect(error).toBeInstanceOf(LockStorageError);
      expect(error!.cause?.code).toBe('EEXIST');
      expect(error!.message).toMatch(/used by another set \(fingerprint mismatch\)/);
    } finally {
      squatter.close();
      removeSemaphoreSet(key);
    }
    // A lock set (3 semaphores) sitting on a permit key is told apart by its size.
    const lockSet = loadNative().openSemaphore(key, fingerprint, 0o600);
    try {
      const error = await new SysvPermitStore({ namespace }).save(new SemaphoreKey(name, 2), null).then(
        () => null,
        (e: unknown) => e as Error & { cause?: { code?: string } },
      );
      expect(error).toBeInstanceOf(LockStorageError);
      expect(error!.cause?.code).toBe('EEXIST');
      expect(error!.message).toMatch(/used by another set/);
    } finally {
      lockSet.close();
    }
  });

  it('refuses a set whose mode is not the one asked for (0600 by default), cause EACCES', async () => {
    const name = resource('mode');
    const loose = new SysvPermitStore({ namespace, mode: 0o640 });
    const key = new SemaphoreKey(name, 1);
    await loose.save(key, null);
    await loose.delete(key);
    const error = await new SysvPermitStore({ namespace }).save(new SemaphoreKey(name, 1), null).then(
      () => null,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    );
    expect(error).toBeInstanceOf(LockStorageError);
    expect(error!.cause?.code).toBe('EACCES');
    expect(error!.message).toMatch(/with mode 0640, expected uid \d+ with mode 0600/);
  });

  it('a forged key state is refused, never taken for permits', async () => {
    const store = new SysvPermitStore({ namespace });
    const key = new SemaphoreKey(resource('forged'), 1);
    key.setState('lockwright:sysv-permits', { held: 1 });
    await expect(store.save(key, null)).rejects.toThrow(/carries SysvPermitStore state that no SysvPermitStore in this process created/);
    expect(await store.exists(key)).toBe(false);
  });

  it('refuses bad DSNs with the accepted form', () => {
    expect(() => createPermitStore('semaphore://')).toThrow(/semaphore:\/\/ needs a namespace, as in semaphore:\/\/myapp/);
    expect(() => createPermitStore('semaphore://app?mode=0660')).toThrow(/takes a namespace and no options/);
    expect(() => createPermitStore('semaphore://%zz')).toThrow(/bad percent-encoding/);
    expect(() => createPermitStore('semaphore:app')).toThrow(/Unsupported permit store DSN "semaphore:app" \(expected semaphore, semaphore:\/\/namespace, lock\+/);
    expect(() => createPermitStore('semaphores')).toThrow(/Unsupported permit store DSN/);
    const store = createPermitStore(`semaphore://${encodeURIComponent('my app/ns')}`);
    expect(store).toBeInstanceOf(SysvPermitStore);
    expect((store as SysvPermitStore).namespace).toBe('my app/ns');
    expect((createPermitStore('semaphore') as SysvPermitStore).namespace).toBe('lockwright');
  });

  it('locks (createStore) keep their own semaphore DSNs', async () => {
    const { createStore } = await import('../../../src/index.js');
    expect(createStore(`semaphore://${namespace}`)).toBeInstanceOf(SemaphoreStore);
  });
});
