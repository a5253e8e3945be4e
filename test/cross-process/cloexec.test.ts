// Issue 9 item 21: lock descriptors are opened O_CLOEXEC, so a child spawned while a lock
// is held (a long `sleep`, a daemon) never inherits it. An inherited flock descriptor
// shares the open file description, and with it the lock: the lock would outlive its
// holder for as long as the child lives.
import { describe, expect, it } from 'vitest';
import { LockHolder } from '../helpers/child.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const sleepers: number[] = [];
const killSleepers = () => {
  for (const pid of sleepers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
};

describe('FlockStore descriptors are not inherited (O_CLOEXEC)', () => {
  it.each([
    ['releases', false],
    ['is killed with SIGKILL', true],
  ])('a child spawned while the lock is held keeps nothing once the holder %s', async (_label, kill) => {
    try {
      const resource = `cloexec-${kill ? 'kill' : 'release'}-${process.pid}`;
      const holder = new LockHolder();
      const other = new LockHolder();
      // Held, plus a released handle kept open for reuse meanwhile.
      expect((await holder.send({ cmd: 'acquire', store: 'flock', dir, resource })).acquired).toBe(true);
      expect((await holder.send({ cmd: 'acquire', store: 'flock', dir, resource: `${resource}-idle`, name: 'idle' })).acquired).toBe(true);
      await holder.send({ cmd: 'release', name: 'idle' });
      const { pid } = await holder.send({ cmd: 'spawn-sleeper' });
      sleepers.push(pid as number);
      expect((await other.send({ cmd: 'acquire', store: 'flock', dir, resource, name: 'busy' })).acquired).toBe(false);
      if (kill) {
        holder.child.kill('SIGKILL');
        await holder.exited();
      } else {
        await holder.send({ cmd: 'release' });
      }
      // The sleeper is still alive: only the holder's own descriptor ever held the lock.
      expect(() => process.kill(pid as number, 0)).not.toThrow();
      expect((await other.send({ cmd: 'acquire', store: 'flock', dir, resource, name: 'free' })).acquired).toBe(true);
    } finally {
      killSleepers();
    }
  });
});
