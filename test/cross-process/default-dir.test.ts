// Issue 9 item 15: FlockStore's default directory depends only on the user id. A cron
// job (no XDG_RUNTIME_DIR, TMPDIR unset) and a login shell (XDG_RUNTIME_DIR set, maybe a
// TMPDIR of its own) of one user must lock the same files, or they never exclude each
// other.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FlockStore } from '../../src/index.js';
import { LockHolder } from '../helpers/child.js';

const made: string[] = [];
const scratch = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function environment(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

describe('FlockStore default directory', () => {
  it('is shared by processes whose XDG_RUNTIME_DIR and TMPDIR differ: they exclude each other', async () => {
    const runtime = scratch('lockwright-xdg-'); // owned by us, like /run/user/<uid>
    const loginShell = new LockHolder(undefined, environment({ XDG_RUNTIME_DIR: runtime, TMPDIR: scratch('lockwright-tmpdir-') }));
    const cronJob = new LockHolder(undefined, environment({ XDG_RUNTIME_DIR: undefined, TMPDIR: undefined }));
    const [shellDir, cronDir] = await Promise.all([loginShell.send({ cmd: 'default-dir' }), cronJob.send({ cmd: 'default-dir' })]);
    expect(shellDir.dir).toBe(cronDir.dir);
    expect(shellDir.dir).toBe(new FlockStore().dir);

    const resource = `default-dir-${process.pid}`;
    expect((await loginShell.send({ cmd: 'acquire', store: 'flock', resource })).acquired).toBe(true);
    expect((await cronJob.send({ cmd: 'acquire', store: 'flock', resource, name: 'busy' })).acquired).toBe(false);
    await loginShell.send({ cmd: 'release' });
    expect((await cronJob.send({ cmd: 'acquire', store: 'flock', resource, name: 'free' })).acquired).toBe(true);
    expect((await loginShell.send({ cmd: 'acquire', store: 'flock', resource, name: 'busy' })).acquired).toBe(false);
  });

  it('is /run/lock/lockwright-<uid> where /run/lock is world-writable, else /var/tmp/lockwright-<uid>: private, owned by this user', () => {
    const uid = process.getuid!();
    let shared = false;
    try {
      shared = (statSync('/run/lock').mode & 0o1777) === 0o1777;
    } catch {
      // no /run/lock here
    }
    const store = new FlockStore();
    expect(store.dir).toBe(shared ? `/run/lock/lockwright-${uid}` : `/var/tmp/lockwright-${uid}`);
    const stat = statSync(store.dir);
    expect(stat.mode & 0o777).toBe(0o700);
    expect(stat.uid).toBe(uid);
  });
});
