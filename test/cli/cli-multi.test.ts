// `lockwright run --limit N` (a semaphore: at most N commands at once) and `--also`
// (several resources locked as one), end to end with real processes. Every command
// holds until the test tells it to stop and records its start and end in a file, from
// which the test reads how many ran at once.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultPermitStoreDsn } from '../../src/cli/store-option.js';
import { FlockStore, LockFactory } from '../../src/index.js';
import { RedisServer, ready } from '../helpers/redis-server.js';
import { removeSemaphoreSet } from '../helpers/semaphores.js';
import { semaphoreIdentity } from '../../src/stores/local/semaphore-key.js';
import { tempDir } from '../helpers/tmp.js';
import { holdCommand, lockwright, start, until, type Running } from './run-cli.js';

const dir = tempDir();
const store = `flock://${dir}`;
const permits = `lock+flock://${dir}`;
let files = 0;

/** A fresh marker file for the commands of one test. */
function markerFile(): string {
  const file = join(dir, `marks-${files++}.txt`);
  writeFileSync(file, '');
  return file;
}

/** The most commands running at once, from the marks (`<label>-start `, `<label>-end `). */
function mostAtOnce(marks: string): { most: number; started: number; ended: number } {
  let running = 0;
  let most = 0;
  let started = 0;
  let ended = 0;
  for (const mark of marks.trim().split(/\s+/).filter(Boolean)) {
    if (mark.endsWith('-start')) {
      started++;
      most = Math.max(most, ++running);
    } else {
      ended++;
      running--;
    }
  }
  return { most, started, ended };
}

/**
 * Starts one `lockwright run -v <args> -- <hold command>` per label, then, until all have
 * ended: waits until `limit` of them run (or all that are left) and every other one says
 * it waits, checks that no more than `limit` ran at any time, and ends one that runs.
 */
async function runAtMost(limit: number, argsFor: (index: number) => string[], count: number): Promise<string> {
  const marker = markerFile();
  const runs: Running[] = [];
  for (let i = 0; i < count; i++) {
    runs.push(start(['run', '-v', ...argsFor(i), '--', ...holdCommand('--mark', marker, `c${i}`)]));
  }
  const ended = new Set<number>();
  const isRunning = (i: number) => !ended.has(i) && runs[i]!.stdout().includes('ready');
  while (ended.size < count) {
    const expected = Math.min(limit, count - ended.size);
    await until(
      () => runs.filter((_, i) => isRunning(i)).length === expected && runs.every((run, i) => ended.has(i) || isRunning(i) || run.stderr().includes('waiting for')),
      `${expected} commands to run and the others to wait`,
      60_000,
      () => runs.map((run) => run.stderr()).join('\n'),
    );
    const now = mostAtOnce(readFileSync(marker, 'utf8'));
    expect(now.started - now.ended).toBe(expected);
    const next = runs.findIndex((_, i) => isRunning(i));
    runs[next]!.finish();
    expect((await runs[next]!.exited).code).toBe(0);
    ended.add(next);
  }
  const marks = readFileSync(marker, 'utf8');
  const { most, started, ended: finished } = mostAtOnce(marks);
  expect(most).toBe(Math.min(limit, count));
  expect([started, finished]).toEqual([count, count]);
  return marks;
}

describe('lockwright run --limit', () => {
  it('runs at most N of N+2 concurrent commands at once (lock+flock permits), each in turn', { timeout: 120_000 }, async () => {
    await runAtMost(2, () => ['--limit', '2', '--store', permits, 'encoders'], 4);
  });

  it('uses the default permit store when no --store is given (System V on Linux once available)', { timeout: 120_000 }, async () => {
    const resource = `default-permits-${process.pid}`;
    // A System V set keeps the limit it was created with: one name per limit, and the
    // sets of the default namespace removed afterwards.
    onTestFinished(() => {
      for (const name of [resource, `${resource}-3`]) removeSemaphoreSet(semaphoreIdentity('lockwright', name, 'permits').key);
    });
    const runs = await runAtMost(1, () => ['--limit', '1', resource], 3);
    expect(runs).toMatch(/c\d-start c\d-end c\d-start c\d-end c\d-start c\d-end/);
    const verbose = lockwright(['run', '-v', '--limit', '3', `${resource}-3`, '--', 'true']);
    expect(verbose.status).toBe(0);
    expect(verbose.stderr).toContain(defaultPermitStoreDsn() === 'semaphore' ? 'SysvPermitStore' : 'LockPermitStore');
  });

  it('-n, -w and -E: a run that finds no free permit exits with the conflict code', async () => {
    const holders = [0, 1].map(() => start(['run', '--limit', '2', '--store', permits, 'busy-permits', '--', ...holdCommand()]));
    await Promise.all(holders.map((holder) => holder.commandPid()));
    expect(lockwright(['run', '-n', '--limit', '2', '--store', permits, 'busy-permits', '--', 'true']).status).toBe(1);
    expect(lockwright(['run', '-n', '-E', '42', '--limit', '2', '--store', permits, 'busy-permits', '--', 'true']).status).toBe(42);
    const timedOut = lockwright(['run', '-w', '300ms', '-E', '9', '-v', '--limit', '2', '--store', permits, 'busy-permits', '--', 'true']);
    expect(timedOut.status).toBe(9);
    expect(timedOut.stderr).toMatch(/waiting for "busy-permits" \(1 of 2 permits\) for up to 300 ms/);
    holders[0]!.finish();
    expect((await holders[0]!.exited).code).toBe(0);
    expect(lockwright(['run', '-n', '--limit', '2', '--store', permits, 'busy-permits', '--', 'true']).status).toBe(0);
    holders[1]!.finish();
    expect((await holders[1]!.exited).code).toBe(0);
  });

  it('refuses a path, --also, -s, a limit that is not a whole number from 1, and a lock-store DSN', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--limit', '2', './job.lock'], /--limit counts holders of a name, and "\.\/job\.lock" is a path/],
      [['--limit', '2', '--also', 'b', 'a'], /--limit and --also do not combine/],
      [['--limit', '2', '-s', 'a'], /--limit and -s do not combine/],
      [['--limit', '0', 'a'], /--limit: "0" is not a number of permits/],
      [['--limit', '2.5', 'a'], /--limit: "2\.5" is not a number of permits/],
      [['--limit', 'many', 'a'], /--limit: "many" is not a number of permits/],
      [['--limit', '2', '--store', store, 'a'], /Unsupported permit store DSN .*write lock\+<its DSN>/],
    ];
    for (const [args, message] of cases) {
      const result = lockwright(['run', ...args, '--', 'true']);
      expect(result.stderr).toMatch(message);
      expect(result.status).toBe(64);
    }
  });
});

describe('lockwright run --also', () => {
  it('holds every resource while the command runs, and gives up on all when one is busy', async () => {
    const holder = start(['run', '--store', store, '--also', 'also-b', 'also-a', '--', ...holdCommand()]);
    await holder.commandPid();
    expect(lockwright(['run', '-n', '--store', store, 'also-a', '--', 'true']).status).toBe(1);
    expect(lockwright(['run', '-n', '-E', '42', '--store', store, 'also-b', '--', 'true']).status).toBe(42);
    expect(lockwright(['run', '-n', '--store', store, '--also', 'also-b', 'also-c', '--', 'true']).status).toBe(1);
    const timedOut = lockwright(['run', '-w', '300ms', '-E', '9', '-v', '--store', store, '--also', 'also-c', 'also-b', '--', 'true']);
    expect(timedOut.status).toBe(9);
    expect(timedOut.stderr).toMatch(/waiting for "also-b", "also-c" \(exclusive\) for up to 300 ms/);
    // Neither refused run kept "also-c".
    expect(lockwright(['run', '-n', '--store', store, 'also-c', '--', 'true']).status).toBe(0);
    holder.finish();
    expect((await holder.exited).code).toBe(0);
    expect(lockwright(['run', '-n', '--store', store, '--also', 'also-b', '--also', 'also-c', 'also-a', '--', 'true']).status).toBe(0);
  });

  it('runs commands naming {a, b} and {b, a} one at a time, without deadlock', { timeout: 120_000 }, async () => {
    await runAtMost(1, (i) => ['--store', store, ...(i % 2 === 0 ? ['--also', 'pair-b', 'pair-a'] : ['--also', 'pair-a', 'pair-b'])], 4);
  });

  it('hands every locked descriptor to the command (flock), which keeps them if lockwright is killed', async () => {
    const run = start(['run', '--store', store, '--also', 'fd-b', 'fd-a', '--', ...holdCommand()]);
    await run.commandPid();
    const gone = new Promise((resolve) => run.child.once('exit', resolve));
    run.child.kill('SIGKILL');
    await gone;
    const factory = new LockFactory(new FlockStore(dir));
    for (const resource of ['fd-a', 'fd-b']) expect(await factory.createLock(resource).acquire()).toBe(false);
    run.finish();
    const lock = factory.createLock('fd-b');
    expect(await lock.acquire(true)).toBe(true);
    await lock.release();
  });

  it('locks several files given as paths, excluding flock(1) on each', async () => {
    const [first, second] = [join(dir, 'first.lock'), join(dir, 'second.lock')];
    const run = start(['run', '--also', first, second, '--', ...holdCommand()]);
    await run.commandPid();
    for (const file of [first, second]) {
      expect(lockwright(['run', '-n', file, '--', 'true']).status).toBe(1);
      expect(spawnSync('flock', ['-n', file, 'true']).status).toBe(1);
    }
    expect(lockwright(['run', '-n', '--also', join(dir, 'third.lock'), second, '--', 'true']).status).toBe(1);
    expect(lockwright(['run', '-n', join(dir, 'third.lock'), '--', 'true']).status).toBe(0);
    run.finish();
    expect((await run.exited).code).toBe(0);
    // A path with an explicit --store is refused as for one resource.
    const refused = lockwright(['run', '--store', store, '--also', first, 'name', '--', 'true']);
    expect(refused.stderr).toMatch(/is a path .* it takes no --store/);
    expect(refused.status).toBe(64);
  });
});

describe('--on-lost with --also and --limit (Redis)', () => {
  it('stops the command when one of several locks is lost (kill), and warns only with warn', { timeout: 60_000 }, async () => {
    const server = await RedisServer.start();
    const admin = await ready(server.client());
    const killed = start(['run', '--store', server.url, '--ttl', '600ms', '--also', 'lost-y', 'lost-x', '--', ...holdCommand('--trap')]);
    await killed.commandPid();
    expect(await admin.del('lost-y')).toBe(1);
    const outcome = await killed.exited;
    expect(outcome.stdout).toContain('got SIGTERM');
    expect(outcome.stderr).toMatch(/lost the locks "lost-x", "lost-y" while the command runs: .*; stopping it/);
    expect(outcome.code).toBe(75);
    expect(await admin.exists('lost-x')).toBe(0); // the other lock was released

    const warned = start(['run', '--store', server.url, '--ttl', '600ms', '--on-lost', 'warn', '--also', 'warn-y', 'warn-x', '--', ...holdCommand('--exit', '4')]);
    await warned.commandPid();
    await admin.del('warn-x');
    await until(() => warned.stderr().includes('lost the locks'), 'the warning', 30_000, warned.stderr);
    warned.finish();
    expect((await warned.exited).code).toBe(4);
  });

  it('stops the command when its permit is lost (lock+redis:// permits)', { timeout: 60_000 }, async () => {
    const server = await RedisServer.start();
    const admin = await ready(server.client());
    const run = start(['run', '--store', `lock+${server.url}`, '--ttl', '600ms', '--limit', '2', 'lost-permits', '--', ...holdCommand('--trap')]);
    await run.commandPid();
    // The permit is one of two slot locks, lost-permits_0 or lost-permits_1: take both away.
    expect(await admin.del('lost-permits_0', 'lost-permits_1')).toBe(1);
    const outcome = await run.exited;
    expect(outcome.stdout).toContain('got SIGTERM');
    expect(outcome.stderr).toMatch(/lost the permit of "lost-permits" while the command runs: .*; stopping it/);
    expect(outcome.code).toBe(75);
  });
});
