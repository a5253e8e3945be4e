// The lockwright CLI end to end, as a user runs it: real processes, real locks. Every
// holder holds until the test tells it to stop (test/fixtures/cli-command.mjs), so the
// suite does not depend on how fast a busy machine starts processes.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlockStore, LockFactory } from '../../src/index.js';
import { tempDir } from '../helpers/tmp.js';
import { holdCommand, lockwright, start, until } from './run-cli.js';

const dir = tempDir();
const store = `flock://${dir}`;

describe('lockwright run', () => {
  it('returns the command\'s exit status and passes its output through', () => {
    const result = lockwright(['run', '--store', store, 'status-code', '--', process.execPath, '-e', 'console.log("hi"); process.exit(7)']);
    expect(result.stdout).toBe('hi\n');
    expect(result.status).toBe(7);
  });

  it('makes a second run wait for the first, or exit with the conflict code at once with -n', async () => {
    const marker = join(dir, 'order.txt');
    writeFileSync(marker, '');
    const first = start(['run', '--store', store, 'serial', '--', ...holdCommand('--mark', marker, '1')]);
    await first.commandPid();

    expect(lockwright(['run', '-n', '--store', store, 'serial', '--', 'true']).status).toBe(1);
    expect(lockwright(['run', '-n', '-E', '42', '--store', store, 'serial', '--', 'true']).status).toBe(42);
    const timedOut = lockwright(['run', '-w', '100ms', '-E', '9', '--verbose', '--store', store, 'serial', '--', 'true']);
    expect(timedOut.status).toBe(9);
    expect(timedOut.stderr).toMatch(/waiting for "serial" \(exclusive\) for up to 100 ms/);

    const second = start(['run', '--verbose', '--store', store, 'serial', '--', ...holdCommand('--mark', marker, '2')]);
    await until(() => second.stderr().includes('waiting for "serial"'), 'the second run to wait');
    expect(readFileSync(marker, 'utf8')).toBe('1-start ');
    first.finish();
    expect((await first.exited).code).toBe(0);
    await second.commandPid();
    second.finish();
    expect((await second.exited).code).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('1-start 1-end 2-start 2-end ');
  });

  it('shares a lock between -s runs and keeps an exclusive run out', async () => {
    const reader = start(['run', '-s', '--store', store, 'shared-res', '--', ...holdCommand()]);
    await reader.commandPid();
    expect(lockwright(['run', '-s', '-n', '--store', store, 'shared-res', '--', 'true']).status).toBe(0);
    expect(lockwright(['run', '-n', '--store', store, 'shared-res', '--', 'true']).status).toBe(1);
    reader.finish();
    expect((await reader.exited).code).toBe(0);
    expect(lockwright(['run', '-n', '--store', store, 'shared-res', '--', 'true']).status).toBe(0);
  });

  it('forwards SIGTERM to the command and releases the lock when it ends', async () => {
    const run = start(['run', '--store', store, 'signals', '--', ...holdCommand('--trap')]);
    await run.commandPid();
    run.child.kill('SIGTERM');
    const { code, stdout } = await run.exited;
    expect(stdout).toContain('got SIGTERM');
    expect(code).toBe(115);
    const lock = new LockFactory(new FlockStore(dir)).createLock('signals');
    expect(await lock.acquire()).toBe(true);
    await lock.release();
  });

  it('reports a command killed by a signal as 128 + the signal number', () => {
    expect(lockwright(['run', '--store', store, 'killed', '--', process.execPath, '-e', 'process.kill(process.pid, "SIGKILL")']).status).toBe(137);
  });

  it('runs a shell string with -c', () => {
    const result = lockwright(['run', '--store', store, '-c', 'echo "$((6 * 7))"; exit 5', 'shell']);
    expect(result.stdout).toBe('42\n');
    expect(result.status).toBe(5);
  });

  it('exits 127 for a command that does not exist, and frees the lock', async () => {
    const result = lockwright(['run', '--store', store, 'missing', '--', 'definitely-not-a-command-xyz']);
    expect(result.status).toBe(127);
    expect(result.stderr).toMatch(/cannot run definitely-not-a-command-xyz/);
    expect(lockwright(['run', '-n', '--store', store, 'missing', '--', 'true']).status).toBe(0);
  });

  it.each([
    [['run'], /missing required argument 'resource'/],
    [['run', 'x'], /needs a command after --/],
    [['run', '-w', 'soon', 'x', '--', 'true'], /-w: "soon" is not a duration/],
    [['run', '-n', '-w', '5', 'x', '--', 'true'], /-n and -w contradict/],
    [['run', '-E', '300', 'x', '--', 'true'], /-E: "300" is not an exit code/],
    [['run', '--ttl', '0s', 'x', '--', 'true'], /--ttl must be longer than zero/],
    [['run', '--store', 'mongodb://x', 'x', '--', 'true'], /--store: /],
    [['run', '--bogus', 'x', '--', 'true'], /unknown option '--bogus'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('answers bad usage %j with a message and exit status 64', (args, message) => {
    const result = lockwright(args as string[]);
    expect(result.stderr).toMatch(message);
    expect(result.status).toBe(64);
  });

  it('prints help for every command, exiting 0', () => {
    for (const args of [['--help'], ['run', '--help'], ['status', '--help'], ['list', '--help']]) {
      const result = lockwright(args);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/Usage: lockwright/);
    }
    expect(lockwright(['run', '--help']).stdout).toContain('lockwright run nightly-import -- node import.js');
  });
});

describe('lockwright status and list', () => {
  it('shows a held flock lock with its holder pid, then free', async () => {
    const holder = start(['run', '--store', store, 'inspected', '--', ...holdCommand()]);
    await holder.commandPid();
    const held = lockwright(['status', '--store', store, 'inspected']);
    expect(held.status).toBe(1);
    expect(held.stdout).toBe(`inspected: held by pid ${holder.child.pid} (exclusive)\n`);
    const json = JSON.parse(lockwright(['status', '--store', store, '--json', 'inspected']).stdout);
    expect(json).toMatchObject({ resource: 'inspected', held: true, holders: [{ pid: holder.child.pid, mode: 'exclusive' }] });
    const listed = lockwright(['list', '--store', store]);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`inspected.*  held by pid ${holder.child.pid} \\(exclusive\\)`));
    holder.finish();
    await holder.exited;
    const free = lockwright(['status', '--store', store, 'inspected']);
    expect(free.stdout).toBe('inspected: free\n');
    expect(free.status).toBe(0);
  });

  it('answers status for other stores with a probe', () => {
    const result = lockwright(['status', '--store', 'in-memory', 'nothing-here']);
    expect(result.stdout).toBe('nothing-here: free\n');
    expect(result.status).toBe(0);
  });

  it('refuses list on a store that is not a directory', () => {
    const result = lockwright(['list', '--store', 'in-memory']);
    expect(result.status).toBe(64);
    expect(result.stderr).toMatch(/list works on flock stores/);
  });
});
