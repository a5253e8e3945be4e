import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catchError, native, sleep, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
let n = 0;
const lockPath = () => path.join(tmp.dir, `f${++n}.lock`);

beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

describe('openFlock', () => {
  it('creates the file with the given mode and reports its path', () => {
    const p = lockPath();
    const h = native.openFlock(p, 0o600);
    expect(h.path).toBe(p);
    expect(h.state).toBe('none');
    expect(fs.statSync(p).mode & 0o777).toBe(0o600);
    h.close();
  });

  it('rejects bad arguments with TypeError', () => {
    const p = lockPath();
    expect(() => native.openFlock(42 as unknown as string, 0o600)).toThrow(TypeError);
    expect(() => native.openFlock('', 0o600)).toThrow(/path must be a non-empty string/);
    expect(() => native.openFlock('a\0b', 0o600)).toThrow(TypeError);
    for (const mode of [-1, 0o1000, 1.5, NaN, '600', undefined]) {
      expect(() => native.openFlock(p, mode as number)).toThrow(
        /mode must be an integer between 0 and 0o777/,
      );
    }
    const h = native.openFlock(p, 0o600);
    expect(() => h.tryLock('yes' as unknown as boolean)).toThrow(TypeError);
    expect(() => h.wait(false, 10, 'cb' as never)).toThrow(/callback must be a function/);
    expect(() => h.wait(false, NaN, () => {})).toThrow(/timeoutMs/);
    expect(native.stats().pendingWaits).toBe(0);
    h.close();
  });

  it('refuses a directory, a symlink and a non-regular file, naming the path', () => {
    const dirErr = catchError(() => native.openFlock(tmp.dir, 0o600));
    expect(dirErr.code).toBe('EISDIR');
    expect(dirErr.errno).toBe(-21);
    expect(dirErr.syscall).toBe('open');
    expect(dirErr.path).toBe(tmp.dir);
    expect(dirErr.message).toBe(`EISDIR: illegal operation on a directory, open '${tmp.dir}'`);

    const target = lockPath();
    fs.writeFileSync(target, '');
    const link = lockPath();
    fs.symlinkSync(target, link);
    const linkErr = catchError(() => native.openFlock(link, 0o600));
    expect(linkErr.code).toBe('ELOOP');
    expect(linkErr.path).toBe(link);

    const fifo = lockPath();
    execFileSync('mkfifo', [fifo]);
    const fifoErr = catchError(() => native.openFlock(fifo, 0o600));
    expect(fifoErr.code).toBe('EINVAL');
    expect(fifoErr.path).toBe(fifo);
    expect(fifoErr.message).toContain(fifo);

    const missing = catchError(() => native.openFlock(path.join(tmp.dir, 'no/such/dir.lock'), 0o600));
    expect(missing.code).toBe('ENOENT');
    expect(missing.errno).toBe(-2);
  });

  it('cannot be constructed from JavaScript', () => {
    const h = native.openFlock(lockPath(), 0o600);
    const Ctor = (h as unknown as { constructor: new () => unknown }).constructor;
    expect(() => new Ctor()).toThrow(TypeError);
    h.close();
  });
});

describe('tryLock', () => {
  it('two handles in one process exclude each other', () => {
    const p = lockPath();
    const a = native.openFlock(p, 0o600);
    const b = native.openFlock(p, 0o600);
    expect(a.tryLock(false)).toBe(true);
    expect(a.state).toBe('exclusive');
    expect(b.tryLock(false)).toBe(false);
    expect(b.tryLock(true)).toBe(false);
    expect(b.state).toBe('none');
    a.unlock();
    expect(a.state).toBe('none');
    expect(b.tryLock(false)).toBe(true);
    a.close();
    b.close();
  });

  it('shared + shared is fine, shared blocks exclusive', () => {
    const p = lockPath();
    const [a, b, c] = [0, 1, 2].map(() => native.openFlock(p, 0o600));
    expect(a!.tryLock(true)).toBe(true);
    expect(b!.tryLock(true)).toBe(true);
    expect(b!.state).toBe('shared');
    expect(c!.tryLock(false)).toBe(false);
    a!.close();
    b!.close();
    expect(c!.tryLock(false)).toBe(true);
    c!.close();
  });

  it('converts between modes, and a refused conversion leaves nothing held', () => {
    const p = lockPath();
    const [a, b, c] = [0, 1, 2].map(() => native.openFlock(p, 0o600));
    expect(a!.tryLock(true)).toBe(true);
    expect(a!.tryLock(false)).toBe(true); // alone: upgrade works
    expect(a!.state).toBe('exclusive');
    expect(a!.tryLock(false)).toBe(true); // same mode again: idempotent
    expect(a!.tryLock(true)).toBe(true); // downgrade
    expect(a!.state).toBe('shared');

    expect(b!.tryLock(true)).toBe(true);
    expect(a!.tryLock(false)).toBe(false); // refused upgrade...
    expect(a!.state).toBe('none'); // ...dropped the shared lock (flock(2))
    b!.unlock();
    expect(c!.tryLock(false)).toBe(true); // proves a holds nothing
    for (const h of [a, b, c]) h!.close();
  });

  it('unlock keeps the descriptor usable; close is idempotent and final', () => {
    const p = lockPath();
    const a = native.openFlock(p, 0o600);
    const b = native.openFlock(p, 0o600);
    const before = native.stats().openHandles;
    a.unlock(); // nothing held: no-op
    expect(a.tryLock(false)).toBe(true);
    a.unlock();
    expect(a.tryLock(true)).toBe(true);
    a.close();
    expect(native.stats().openHandles).toBe(before - 1);
    a.close();
    expect(a.state).toBe('none');
    expect(b.tryLock(false)).toBe(true); // close released the lock
    for (const call of [() => a.tryLock(false), () => a.unlock(), () => a.wait(false, -1, () => {})]) {
      const err = catchError(call);
      expect(err.code).toBe('EBADF');
      expect(err.errno).toBe(-9);
    }
    b.close();
  });

  it('follows a lock file that was deleted or replaced behind the handle', () => {
    const p = lockPath();
    const stale = native.openFlock(p, 0o600);
    const holder = native.openFlock(p, 0o600);
    // The deletion protocol: unlink only while holding it exclusively, then close.
    expect(holder.tryLock(false)).toBe(true);
    fs.unlinkSync(p);
    holder.close();
    // stale's descriptor names the deleted inode: it must relock a fresh file.
    expect(stale.tryLock(false)).toBe(true);
    expect(fs.existsSync(p)).toBe(true);
    const probe = native.openFlock(p, 0o600);
    expect(probe.tryLock(false)).toBe(false);
    stale.unlock();

    const holder2 = native.openFlock(p, 0o600);
    expect(holder2.tryLock(false)).toBe(true);
    fs.renameSync(p, p + '.moved');
    fs.writeFileSync(p, '');
    holder2.close();
    probe.close();
    const probe2 = native.openFlock(p, 0o600);
    expect(stale.tryLock(true)).toBe(true); // granted on the moved inode, then relocked
    expect(probe2.tryLock(false)).toBe(false);
    expect(probe2.tryLock(true)).toBe(true);
    for (const h of [stale, probe2]) h.close();
  });

  // A grant skips the path lookup while the lock file's ctime and link count are as last
  // confirmed (and that ctime is from an earlier second). Unlinking or moving the file
  // changes both or one of them, so a kept handle still never locks a deleted inode.
  it('never locks a deleted or moved lock file through a kept handle, also when grants skip the path lookup', async () => {
    const deleted = lockPath();
    const moved = lockPath();
    const keptDeleted = native.openFlock(deleted, 0o600);
    const keptMoved = native.openFlock(moved, 0o600);
    // The fast check trusts a ctime from an earlier second at once (finer ones need a tick).
    const ctimeSecond = (p: string) => Math.floor(fs.statSync(p).ctimeMs / 1000);
    const newest = Math.max(ctimeSecond(deleted), ctimeSecond(moved));
    while (Math.floor(Date.now() / 1000) <= newest) await sleep(20);
    const round = (shared: boolean) => {
      for (const h of [keptDeleted, keptMoved]) {
        expect(h.tryLock(shared)).toBe(true);
        h.unlock();
      }
    };
    const fastCapable = process.platform === 'linux' && [0xef53, 0x01021994, 0x58465342, 0x9123683e].includes(Number(fs.statfsSync(tmp.dir).type));
    if (fastCapable) {
      // A grant confirms by lookup until the kernel's coarse clock (which may lag Date.now()
      // by a tick) has passed the ctime's second; from then on grants skip the lookup.
      let settled = false;
      for (let tries = 0; tries < 100 && !settled; tries++) {
        const before = native.stats().pathChecks;
        round(false);
        settled = native.stats().pathChecks === before;
        if (!settled) await sleep(20);
      }
      const checks = native.stats().pathChecks;
      for (let i = 0; i < 5; i++) round(i % 2 === 1);
      expect(native.stats().pathChecks).toBe(checks);
    } else {
      round(false);
    }

    // The deletion protocol: unlink only while holding the lock exclusively, then close.
    const holder = native.openFlock(deleted, 0o600);
    expect(holder.tryLock(false)).toBe(true);
    fs.unlinkSync(deleted);
    holder.close();
    expect(keptDeleted.tryLock(false)).toBe(true); // not on the deleted inode:
    expect(fs.existsSync(deleted)).toBe(true);
    const probeDeleted = native.openFlock(deleted, 0o600);
    expect(probeDeleted.tryLock(false)).toBe(false); // the file the path names is the one held

    // Moved away (its link count stays 1) and a new file put in its place.
    const mover = native.openFlock(moved, 0o600);
    expect(mover.tryLock(false)).toBe(true);
    fs.renameSync(moved, moved + '.moved');
    fs.writeFileSync(moved, '');
    mover.close();
    expect(keptMoved.tryLock(false)).toBe(true);
    const probeMoved = native.openFlock(moved, 0o600);
    expect(probeMoved.tryLock(true)).toBe(false);
    for (const h of [keptDeleted, keptMoved, probeDeleted, probeMoved]) h.close();
  });

  it('a blocked wait never ends holding a lock file deleted or moved while it waited', async () => {
    for (const change of ['unlink', 'move'] as const) {
      const p = lockPath();
      const holder = native.openFlock(p, 0o600);
      expect(holder.tryLock(false)).toBe(true);
      const waiter = native.openFlock(p, 0o600);
      const granted = new Promise<boolean>((resolve) => waiter.wait(false, -1, (_error, ok) => resolve(ok)));
      await sleep(20); // usually blocked in the kernel by now; the outcome must hold either way
      if (change === 'unlink') {
        fs.unlinkSync(p);
      } else {
        fs.renameSync(p, p + '.moved');
        fs.writeFileSync(p, '');
      }
      holder.close();
      expect(await granted).toBe(true);
      const probe = native.openFlock(p, 0o600);
      expect(probe.tryLock(true)).toBe(false); // the waiter holds the file the path names
      waiter.close();
      expect(probe.tryLock(true)).toBe(true);
      probe.close();
    }
  });

  it('resolves a relative path once, at open', () => {
    const cwd = process.cwd();
    process.chdir(tmp.dir);
    try {
      const h = native.openFlock('relative.lock', 0o600);
      expect(h.path).toBe('relative.lock');
      process.chdir(cwd);
      expect(h.tryLock(false)).toBe(true);
      const probe = native.openFlock(path.join(tmp.dir, 'relative.lock'), 0o600);
      expect(probe.tryLock(false)).toBe(false);
      h.close();
      probe.close();
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('module', () => {
  it('reports build info, the wake signal and stats', () => {
    expect(native.buildInfo()).toEqual({ napiVersion: 8, semaphores: process.platform === 'linux' });
    const sig = native.wakeSignal();
    expect(Number.isInteger(sig)).toBe(true);
    if (process.platform === 'linux') expect(sig).toBeGreaterThan(32);
    expect(Object.keys(native.stats()).sort()).toEqual(
      ['idleWaiterThreads', 'openHandles', 'pathChecks', 'pendingWaits', 'waiterThreads'].sort(),
    );
  });
});
