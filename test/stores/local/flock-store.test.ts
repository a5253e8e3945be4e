import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FlockStore, InvalidArgumentError, Key, LockFactory } from '../../../src/index.js';
import { flockFileName } from '../../../src/stores/local/flock-file-name.js';
import { runConformance } from '../../conformance/index.js';
import { tempDir } from '../../helpers/tmp.js';

const dir = tempDir();

runConformance({ name: 'FlockStore', makeStore: () => new FlockStore(dir), local: true, expect: { blocking: true, shared: true, blockingShared: true, expiring: false } });

describe('FlockStore lock files', () => {
  // Expected names computed by PHP with Symfony's FlockStore formula.
  it.each([
    ['<?php echo "% hello word ! %" ?>', 'sf.-php-echo-hello-word-.Sz2dDSf.lock'],
    ['../x', 'sf...-x.1rlql9F.lock'],
    ['/', 'sf.-.il7asoJ.lock'],
    ['a\0b', 'sf.a-b.WbJxrhu.lock'],
    ['ünïcode ✓', 'sf.-n-code-.EQXwIvP.lock'],
    ['y'.repeat(5000), `sf.${'y'.repeat(50)}.PEXbKcj.lock`],
  ])('names the file of %j as Symfony does', (resource, expected) => {
    expect(flockFileName(resource)).toBe(expected);
  });

  it('keeps every resource name inside the directory', async () => {
    const own = tempDir();
    const store = new FlockStore(own);
    const names = ['../x', '../../etc/passwd', '/', '/tmp/evil', 'a\0b', 'ünïcode ✓', 'z'.repeat(5000), '.', '..'];
    const keys = names.map((n) => new Key(n));
    for (const key of keys) {
      expect(dirname(store.pathFor(key.resource))).toBe(own);
      await store.save(key);
    }
    expect(readdirSync(own).length).toBe(names.length);
    expect(readdirSync(dirname(own)).filter((f) => f.startsWith('sf.'))).toEqual([]);
    for (const key of keys) await store.delete(key);
  });

  it('creates lock files with mode 0600 by default, or the mode asked for', async () => {
    const own = tempDir();
    const key = new Key('mode-default');
    const store = new FlockStore(own);
    await store.save(key);
    expect(statSync(store.pathFor('mode-default')).mode & 0o777).toBe(0o600);
    await store.delete(key);
    const shared = new FlockStore({ dir: own, mode: 0o640 });
    const other = new Key('mode-640');
    const previous = process.umask(0);
    try {
      await shared.save(other);
    } finally {
      process.umask(previous);
    }
    expect(statSync(shared.pathFor('mode-640')).mode & 0o777).toBe(0o640);
    await shared.delete(other);
  });

  it('creates lock files with exactly the mode asked for under umask 022, and leaves existing files alone', async () => {
    const own = tempDir();
    const store = new FlockStore({ dir: own, mode: 0o660 });
    writeFileSync(store.pathFor('existing'), '', { mode: 0o600 });
    const previous = process.umask(0o022);
    try {
      for (const name of ['mode-660', 'existing']) {
        const key = new Key(name);
        await store.save(key);
        await store.delete(key);
      }
    } finally {
      process.umask(previous);
    }
    expect(statSync(store.pathFor('mode-660')).mode & 0o777).toBe(0o660);
    expect(statSync(store.pathFor('existing')).mode & 0o777).toBe(0o600);
  });

  it.runIf(process.getuid?.() === 0)('lets a group member in another process lock a file created with mode 0o660 under umask 022', async () => {
    const own = tempDir();
    chmodSync(own, 0o770); // group root: the member below gets in through the group bits only
    const store = new FlockStore({ dir: own, mode: 0o660 });
    const previous = process.umask(0o022);
    const key = new Key('group-shared');
    try {
      await store.save(key);
      await store.delete(key);
    } finally {
      process.umask(previous);
    }
    const entry = fileURLToPath(new URL('../../../dist/index.js', import.meta.url));
    const code = `import(${JSON.stringify(entry)}).then(async ({ FlockStore, LockFactory }) => {
      const lock = new LockFactory(new FlockStore({ dir: ${JSON.stringify(own)}, mode: 0o660 })).createLock('group-shared');
      try { console.log('acquired ' + (await lock.acquire())); await lock.release(); }
      catch (e) { console.log(e.name + ': ' + e.message + ' / ' + e.cause?.message); }
    })`;
    const options = { uid: 65534, gid: 0, encoding: 'utf8' } as const;
    let result = spawnSync(process.execPath, ['-e', code], options);
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'EACCES') result = spawnSync('node', ['-e', code], options);
    expect(result.error).toBeUndefined();
    expect(result.stdout.trim()).toBe('acquired true');
  });

  it('keeps lock files after release (deleting them would be racy)', async () => {
    const own = tempDir();
    const lock = new LockFactory(new FlockStore(own)).createLock('kept');
    await lock.acquire();
    await lock.release();
    expect(readdirSync(own)).toEqual([flockFileName('kept')]);
  });

  it('refuses to follow a symbolic link planted where a lock file goes', async () => {
    const own = tempDir();
    const store = new FlockStore(own);
    const target = join(own, 'victim');
    writeFileSync(target, 'precious');
    const { symlinkSync } = await import('node:fs');
    symlinkSync(target, store.pathFor('planted'));
    const error = (await store.save(new Key('planted')).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('LockStorageError');
    expect(error.message).toContain(store.pathFor('planted'));
    expect(error.message).toMatch(/symbolic link/);
  });
});

describe('FlockStore directories', () => {
  it('creates a missing directory, recursively', () => {
    const base = tempDir();
    const nested = join(base, 'a', 'b', 'locks');
    expect(new FlockStore(nested).dir).toBe(nested);
    expect(statSync(nested).isDirectory()).toBe(true);
  });

  it('names a path that is a file', () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');
    expect(() => new FlockStore(file)).toThrow(InvalidArgumentError);
    expect(() => new FlockStore(file)).toThrow(`The FlockStore directory "${file}" is not a directory.`);
  });

  it('names a directory that cannot be created', () => {
    const file = join(tempDir(), 'blocker');
    writeFileSync(file, '');
    const below = join(file, 'locks');
    expect(() => new FlockStore(below)).toThrow(InvalidArgumentError);
    expect(() => new FlockStore(below)).toThrow(`The FlockStore directory "${below}" does not exist and cannot be created`);
  });

  it.each([[''], [42], [null]])('rejects %j as a directory', (bad) => {
    expect(() => new FlockStore({ dir: bad as string })).toThrow(InvalidArgumentError);
  });

  it.each([[-1], [0o1000], [1.5], ['600']])('rejects mode %j', (mode) => {
    expect(() => new FlockStore({ dir: tempDir(), mode: mode as number })).toThrow(/"mode" must be permission bits/);
  });

  it.runIf(process.getuid?.() === 0)('names a directory this user cannot write (checked as uid 65534)', () => {
    const readOnly = join(tempDir(), 'read-only');
    mkdirSync(readOnly, { mode: 0o755 });
    chmodSync(dirname(readOnly), 0o755);
    const entry = fileURLToPath(new URL('../../../dist/index.js', import.meta.url));
    const code = `import(${JSON.stringify(entry)}).then(({ FlockStore }) => {
      try { new FlockStore(${JSON.stringify(readOnly)}); console.log('no error'); }
      catch (e) { console.log(e.name + ': ' + e.message); }
    })`;
    const options = { uid: 65534, gid: 65534, encoding: 'utf8' } as const;
    let result = spawnSync(process.execPath, ['-e', code], options);
    // A Node binary under root's home (npx node@24) is out of uid 65534's reach: use PATH's.
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'EACCES') result = spawnSync('node', ['-e', code], options);
    expect(result.error).toBeUndefined();
    expect(result.stdout.trim()).toBe(`InvalidArgumentError: The FlockStore directory "${readOnly}" is not writable.`);
  });

  it('uses a private default directory: 0700, owned by this user', () => {
    const store = new FlockStore();
    const stat = statSync(store.dir);
    expect(stat.mode & 0o777).toBe(0o700);
    expect(stat.uid).toBe(process.getuid?.());
    expect(store.dir).toMatch(/lockwright/);
  });
});

describe('FlockStore handle reuse', () => {
  it('never locks a deleted lock file through a kept handle', async () => {
    const { unlinkSync } = await import('node:fs');
    const { LockHolder } = await import('../../helpers/child.js');
    const own = tempDir();
    const factory = new LockFactory(new FlockStore(own));
    const lock = factory.createLock('deleted-behind-our-back');
    await lock.acquire();
    await lock.release(); // its handle is now kept for reuse
    unlinkSync(new FlockStore(own).pathFor('deleted-behind-our-back'));
    const child = new LockHolder();
    expect((await child.send({ cmd: 'acquire', store: 'flock', dir: own, resource: 'deleted-behind-our-back' })).acquired).toBe(true);
    // The kept descriptor points at the deleted file; locking it would "succeed" alone.
    expect(await factory.createLock('deleted-behind-our-back').acquire()).toBe(false);
    await child.send({ cmd: 'release' });
    expect(await lock.acquire()).toBe(true);
    await lock.release();
  });
});
