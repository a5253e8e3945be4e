// The lockwright CLI end to end, as a user runs it: real processes, real locks.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FlockStore, LockFactory } from '../../src/index.js';
import { tempDir } from '../helpers/tmp.js';

const bin = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = tempDir();
const store = `flock://${dir}`;

function lockwright(args: string[], options: { timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: options.timeout ?? 20_000 });
}

function start(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, exited, output: () => stdout };
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('lockwright run', () => {
  it('returns the command\'s exit status and passes its output through', () => {
    const result = lockwright(['run', 'status-code', '--store', store, '--', process.execPath, '-e', 'console.log("hi"); process.exit(7)']);
    expect(result.stdout).toBe('hi\n');
    expect(result.status).toBe(7);
  });

  it('makes a second run wait for the first, or exit with the conflict code at once with -n', async () => {
    const marker = join(dir, 'order.txt');
    writeFileSync(marker, '');
    const append = (text: string) => `require("fs").appendFileSync(${JSON.stringify(marker)}, "${text}")`;
    const first = start(['run', 'serial', '--store', store, '--', process.execPath, '-e', `${append('1-start ')}; setTimeout(() => { ${append('1-end ')} }, 1500)`]);
    await until(() => readFileSync(marker, 'utf8').includes('1-start'), 'the first command to start');

    const busy = lockwright(['run', '-n', 'serial', '--store', store, '--', 'true']);
    expect(busy.status).toBe(1);
    expect(lockwright(['run', '-n', '-E', '42', 'serial', '--store', store, '--', 'true']).status).toBe(42);
    const timedOut = lockwright(['run', '-w', '100ms', '-E', '9', '--verbose', 'serial', '--store', store, '--', 'true']);
    expect(timedOut.status).toBe(9);
    expect(timedOut.stderr).toMatch(/waiting for "serial" \(exclusive\) for up to 100 ms/);

    const second = lockwright(['run', 'serial', '--store', store, '--', process.execPath, '-e', append('2 ')]);
    expect(second.status).toBe(0);
    expect((await first.exited).code).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('1-start 1-end 2 ');
  });

  it('shares a lock between -s runs and keeps an exclusive run out', async () => {
    const reader = start(['run', '-s', 'shared-res', '--store', store, '--', process.execPath, '-e', 'console.log("in"); setTimeout(() => {}, 400)']);
    await until(() => reader.output().includes('in'), 'the reader to start');
    expect(lockwright(['run', '-s', '-n', 'shared-res', '--store', store, '--', 'true']).status).toBe(0);
    expect(lockwright(['run', '-n', 'shared-res', '--store', store, '--', 'true']).status).toBe(1);
    await reader.exited;
  });

  it('forwards SIGTERM to the command and releases the lock when it ends', async () => {
    const script = 'process.on("SIGTERM", () => { console.log("got TERM"); process.exit(3) }); console.log("ready"); setInterval(() => {}, 1000)';
    const run = start(['run', 'signals', '--store', store, '--', process.execPath, '-e', script]);
    await until(() => run.output().includes('ready'), 'the command to start');
    run.child.kill('SIGTERM');
    const { code, stdout } = await run.exited;
    expect(stdout).toContain('got TERM');
    expect(code).toBe(3);
    const lock = new LockFactory(new FlockStore(dir)).createLock('signals');
    expect(await lock.acquire()).toBe(true);
    await lock.release();
  });

  it('reports a command killed by a signal as 128 + the signal number', () => {
    expect(lockwright(['run', 'killed', '--store', store, '--', process.execPath, '-e', 'process.kill(process.pid, "SIGKILL")']).status).toBe(137);
  });

  it('runs a shell string with -c', () => {
    const result = lockwright(['run', 'shell', '--store', store, '-c', 'echo "$((6 * 7))"; exit 5']);
    expect(result.stdout).toBe('42\n');
    expect(result.status).toBe(5);
  });

  it('exits 127 for a command that does not exist, and frees the lock', async () => {
    const result = lockwright(['run', 'missing', '--store', store, '--', 'definitely-not-a-command-xyz']);
    expect(result.status).toBe(127);
    expect(result.stderr).toMatch(/cannot run definitely-not-a-command-xyz/);
    expect(lockwright(['run', '-n', 'missing', '--store', store, '--', 'true']).status).toBe(0);
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
    const holder = start(['run', 'inspected', '--store', store, '--', process.execPath, '-e', 'console.log("holding"); setTimeout(() => {}, 800)']);
    await until(() => holder.output().includes('holding'), 'the holder to start');
    const held = lockwright(['status', 'inspected', '--store', store]);
    expect(held.status).toBe(1);
    expect(held.stdout).toBe(`inspected: held by pid ${holder.child.pid} (exclusive)\n`);
    const json = JSON.parse(lockwright(['status', 'inspected', '--store', store, '--json']).stdout);
    expect(json).toMatchObject({ resource: 'inspected', held: true, holders: [{ pid: holder.child.pid, mode: 'exclusive' }] });
    const listed = lockwright(['list', '--store', store]);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`inspected  held by pid ${holder.child.pid} \\(exclusive\\)`));
    await holder.exited;
    const free = lockwright(['status', 'inspected', '--store', store]);
    expect(free.stdout).toBe('inspected: free\n');
    expect(free.status).toBe(0);
  });

  it('answers status for other stores with a probe', () => {
    const result = lockwright(['status', 'nothing-here', '--store', 'in-memory']);
    expect(result.stdout).toBe('nothing-here: free\n');
    expect(result.status).toBe(0);
  });

  it('refuses list on a store that is not a directory', () => {
    const result = lockwright(['list', '--store', 'in-memory']);
    expect(result.status).toBe(64);
    expect(result.stderr).toMatch(/list works on flock stores/);
  });
});
