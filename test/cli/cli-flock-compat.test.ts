// The CLI behaves like util-linux flock(1) where a user would expect it to: a path
// argument locks exactly that file (and excludes the real `flock` binary on it, both
// ways), options after the command belong to the command, --version answers, and
// every name `list` prints is one `status` looks up as the same lock.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { bin, holdCommand, lockwright, release, start, track, until } from './run-cli.js';

const dir = tempDir();
const store = `flock://${dir}`;

const flockBinary = spawnSync('flock', ['--version'], { encoding: 'utf8' });
if (flockBinary.error) throw new Error('These tests need the util-linux `flock` binary: apt-get install util-linux.');

/** `flock [flags] <file> <command…>` with cwd `dir`, spawned synchronously. */
const flock = (...args: string[]) => spawnSync('flock', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
/** lockwright with cwd `dir`, so that "./x.lock" means the same file to both tools. */
const lockwrightHere = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });

describe('a path resource is the file flock(1) locks', () => {
  it('keeps util-linux flock out of ./x.lock while lockwright holds it, exclusive and shared', async () => {
    const hold = holdCommand();
    const holder = track(spawn(process.execPath, [bin, 'run', './x.lock', '--', ...hold], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] }));
    let out = '';
    holder.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await until(() => out.includes('ready'), 'the lockwright holder');
    expect(flock('-n', './x.lock', 'true').status).toBe(1);
    expect(flock('-n', '-s', join(dir, 'x.lock'), 'true').status).toBe(1);
    release(hold);
    expect(await new Promise((r) => holder.on('exit', r))).toBe(0);
    expect(flock('-n', './x.lock', 'true').status).toBe(0);

    const readHold = holdCommand();
    const reader = track(spawn(process.execPath, [bin, 'run', '-s', './x.lock', '--', ...readHold], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] }));
    let readerOut = '';
    reader.stdout!.on('data', (c: Buffer) => (readerOut += c.toString()));
    await until(() => readerOut.includes('ready'), 'the lockwright reader');
    expect(flock('-n', '-s', './x.lock', 'true').status).toBe(0);
    expect(flock('-n', '-x', './x.lock', 'true').status).toBe(1);
    release(readHold);
    expect(await new Promise((r) => reader.on('exit', r))).toBe(0);
  });

  it('waits for, or gives up on, a file that util-linux flock holds', async () => {
    const hold = holdCommand();
    const holder = track(spawn('flock', ['y.lock', ...hold], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] }));
    let out = '';
    holder.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await until(() => out.includes('ready'), 'the flock(1) holder');
    expect(lockwrightHere('run', '-n', './y.lock', 'true').status).toBe(1);
    expect(lockwrightHere('run', '-n', '-E', '7', join(dir, 'y.lock'), 'true').status).toBe(7);
    expect(lockwrightHere('status', './y.lock').stdout).toBe(`${join(dir, 'y.lock')}: held by pid ${holder.pid} (exclusive)\n`);
    const waiter = track(spawn(process.execPath, [bin, 'run', '-v', './y.lock', '--', 'echo', 'got it'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }));
    let waiterOut = '';
    let waiterErr = '';
    waiter.stdout!.on('data', (c: Buffer) => (waiterOut += c.toString()));
    waiter.stderr!.on('data', (c: Buffer) => (waiterErr += c.toString()));
    await until(() => waiterErr.includes('waiting for'), 'lockwright to wait for flock(1)');
    expect(waiterOut).toBe('');
    release(hold);
    expect(await new Promise((r) => waiter.on('exit', r))).toBe(0);
    expect(waiterOut).toBe('got it\n');
  });

  it('refuses a path together with --store, and a lock file whose directory does not exist', () => {
    const both = lockwright(['run', '--store', store, './z.lock', 'true']);
    expect(both.status).toBe(64);
    expect(both.stderr).toMatch(/"\.\/z\.lock" is a path .* takes no --store/);
    const missing = lockwright(['run', join(dir, 'no-such-dir', 'z.lock'), 'true']);
    expect(missing.status).toBe(69);
    expect(missing.stderr).toMatch(/its directory does not exist/);
  });
});

describe('the command line reads as flock(1)\'s', () => {
  it('gives options after the command to the command', () => {
    const result = lockwright(['run', '--store', store, 'argv-job', 'echo', '-n', 'hi', '--verbose', '-E', '3']);
    expect(result.stdout).toBe('hi --verbose -E 3');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    writeFileSync(join(dir, 'listed-file'), '');
    const ls = lockwright(['run', '--store', store, 'argv-job', 'ls', '-la', dir]);
    expect(ls.stdout).toMatch(/^-rw.* listed-file$/m);
  });

  it('refuses a lockwright option put between the resource and the command', () => {
    const result = lockwright(['run', 'job', '-n', '--', 'true']);
    expect(result.status).toBe(64);
    expect(result.stderr).toMatch(/"-n" comes after the resource: options go before it/);
  });

  it('prints its version', () => {
    for (const flag of ['--version', '-V']) {
      const result = lockwright([flag]);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
    }
  });
});

describe('list prints names that status accepts', () => {
  it('maps every listed lock back to the same lock file in status, held or free', async () => {
    const store = `flock://${tempDir()}`;
    const names = ['plain', 'x'.repeat(70), 'spaces and ünïcode!', 'UPPER.case_1-2'];
    const holders = [];
    for (const name of names.slice(0, 2)) {
      const holder = start(['run', '--store', store, name, '--', ...holdCommand()]);
      await holder.commandPid();
      holders.push(holder);
    }
    for (const name of names.slice(2)) expect(lockwright(['run', '--store', store, name, 'true']).status).toBe(0);

    const listing = JSON.parse(lockwright(['list', '--store', store, '--json']).stdout) as { locks: { path: string; holders: { pid: number }[] }[] };
    const text = lockwright(['list', '--store', store]).stdout.split('\n').slice(1).filter(Boolean);
    expect(listing.locks.length).toBe(names.length);
    expect(text.length).toBe(names.length);
    let held = 0;
    for (const [i, lock] of listing.locks.entries()) {
      const shown = text[i]!.trim().split('  ')[0]!;
      expect(shown).toBe(lock.path);
      const status = lockwright(['status', shown, '--json']);
      const report = JSON.parse(status.stdout) as { held: boolean; holders: { pid: number }[] };
      expect(report.held).toBe(lock.holders.length > 0);
      expect(report.holders).toEqual(lock.holders);
      expect(status.status).toBe(report.held ? 1 : 0);
      if (report.held) held++;
    }
    expect(held).toBe(2);
    for (const holder of holders) {
      holder.finish();
      await holder.exited;
    }
  });
});
