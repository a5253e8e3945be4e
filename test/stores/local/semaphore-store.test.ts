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
