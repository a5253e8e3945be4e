import { describe, expect, it } from 'vitest';
import { SemaphoreStore } from '../../../src/index.js';
import { runConformance } from '../../conformance/index.js';
import { semaphoreNamespace } from '../../helpers/semaphores.js';

const { namespace, track } = semaphoreNamespace();

runConformance({
  name: 'SemaphoreStore',
  expect: { blocking: true, shared: false, expiring: false },
  makeStore: () => new SemaphoreStore({ namespace }),
  onResource: track,
  local: true,
});

describe('SemaphoreStore handle reuse', () => {
  it('opens a fresh set when the kept one was removed while idle', async () => {
    const { removeSemaphoreSet } = await import('../../helpers/semaphores.js');
    const { semaphoreIdentity } = await import('../../../src/stores/local/semaphore-key.js');
    const { LockFactory } = await import('../../../src/index.js');
    const resource = `removed-while-idle-${process.pid}`;
    track(resource);
    const factory = new LockFactory(new SemaphoreStore({ namespace }));
    const lock = factory.createLock(resource);
    expect(await lock.acquire()).toBe(true);
    await lock.release(); // handle kept for reuse
    removeSemaphoreSet(semaphoreIdentity(namespace, resource).key);
    expect(await lock.acquire()).toBe(true);
    expect(await factory.createLock(resource).acquire()).toBe(false);
    await lock.release();
  });
});

describe('SemaphoreStore when the kernel object changes behind its back', () => {
  it('reports a held lock as lost once its set was removed (ipcrm): isAcquired() false, signal aborted, others get in', async () => {
    const { removeSemaphoreSet } = await import('../../helpers/semaphores.js');
    const { semaphoreIdentity } = await import('../../../src/stores/local/semaphore-key.js');
    const { LockFactory } = await import('../../../src/index.js');
    const { LockHolder } = await import('../../helpers/child.js');
    const resource = `ipcrm-held-${process.pid}`;
    track(resource);
    const lock = new LockFactory(new SemaphoreStore({ namespace })).createLock(resource);
    expect(await lock.acquire()).toBe(true);
    const signal = lock.signal;
    expect(await lock.isAcquired()).toBe(true);
    removeSemaphoreSet(semaphoreIdentity(namespace, resource).key);
    expect(await lock.isAcquired()).toBe(false);
    expect(signal.aborted).toBe(true);
    // Another process creates the set afresh and takes the lock; our release is a no-op.
    const other = new LockHolder();
    expect((await other.send({ cmd: 'acquire', store: 'semaphore', namespace, resource })).acquired).toBe(true);
    await lock.release();
    expect(await lock.acquire()).toBe(false);
  });
});

describe('SemaphoreStore errors through the store API', () => {
  it('rejects a blocked wait with LockStorageError (cause EIDRM) when the set is removed under it', async () => {
    const { removeSemaphoreSet } = await import('../../helpers/semaphores.js');
    const { semaphoreIdentity } = await import('../../../src/stores/local/semaphore-key.js');
    const { Key, LockStorageError } = await import('../../../src/index.js');
    const { LockHolder } = await import('../../helpers/child.js');
    const resource = `eidrm-wait-${process.pid}`;
    track(resource);
    const other = new LockHolder();
    expect((await other.send({ cmd: 'acquire', store: 'semaphore', namespace, resource })).acquired).toBe(true);
    const store = new SemaphoreStore({ namespace });
    const waiting = store.waitAndSave(new Key(resource)).then(
      () => null,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    );
    await new Promise((r) => setTimeout(r, 50)); // blocked in semop on a waiter thread
    removeSemaphoreSet(semaphoreIdentity(namespace, resource).key);
    const error = await waiting;
    expect(error).toBeInstanceOf(LockStorageError);
    expect((error as InstanceType<typeof LockStorageError>).code).toBe('LOCK_STORAGE_FAILED');
    expect(error!.cause?.code).toBe('EIDRM');
    expect(error!.message).toMatch(/removed .*the lock or permits it held are lost/);
  });

  it('rejects with LockStorageError (cause EEXIST) when another set sits on the key (a collision)', async () => {
    const { semaphoreIdentity } = await import('../../../src/stores/local/semaphore-key.js');
    const { loadNative } = await import('../../../src/native.js');
    const { Key, LockStorageError } = await import('../../../src/index.js');
    const resource = `collision-${process.pid}`;
    track(resource);
    const { key, fingerprint } = semaphoreIdentity(namespace, resource);
    const otherFingerprint = fingerprint ^ 0x1; // still two non-zero 15-bit halves
    const squatter = loadNative().openSemaphore(key, (otherFingerprint & 0x7fff) === 0 ? fingerprint ^ 0x2 : otherFingerprint, 0o600);
    try {
      const error = await new SemaphoreStore({ namespace }).save(new Key(resource)).then(
        () => null,
        (e: unknown) => e as Error & { cause?: { code?: string } },
      );
      expect(error).toBeInstanceOf(LockStorageError);
      expect(error!.cause?.code).toBe('EEXIST');
      expect(error!.message).toMatch(/used by another set \(fingerprint mismatch\)/);
    } finally {
      squatter.close();
    }
  });

  it.runIf(process.getuid?.() === 0)('rejects with LockStorageError (cause EACCES) when the set belongs to another user', async () => {
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const { Key, LockStorageError } = await import('../../../src/index.js');
    const resource = `foreign-${process.pid}`;
    track(resource);
    // uid 65534 creates the set (mode 0o666, so that we may look at it) and leaves it.
    const entry = fileURLToPath(new URL('../../../dist/index.js', import.meta.url));
    const code = `import(${JSON.stringify(entry)}).then(async ({ SemaphoreStore, Key }) => {
      const store = new SemaphoreStore({ namespace: ${JSON.stringify(namespace)}, mode: 0o666 });
      const key = new Key(${JSON.stringify(resource)});
      await store.save(key); await store.delete(key); console.log('created');
    })`;
    const options = { uid: 65534, gid: 65534, encoding: 'utf8' } as const;
    let result = spawnSync(process.execPath, ['-e', code], options);
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'EACCES') result = spawnSync('node', ['-e', code], options);
    expect(result.stdout.trim()).toBe('created');
    const error = await new SemaphoreStore({ namespace, mode: 0o666 }).save(new Key(resource)).then(
      () => null,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    );
    expect(error).toBeInstanceOf(LockStorageError);
    expect(error!.cause?.code).toBe('EACCES');
    expect(error!.message).toMatch(/owned by uid 65534/);
  });
});
