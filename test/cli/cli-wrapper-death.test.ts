// `lockwright run` is as strong as flock(1) when the wrapper dies by SIGKILL (as the
// OOM killer would kill it): the command never runs on without the lock. On flock
// stores the command inherited the locked descriptor, so it keeps the lock and a
// second `run -n` stays out until the command ends; on other stores the command dies
// with the wrapper.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { alive, bin, holdCommand, lockwright, start, until } from './run-cli.js';

const dir = tempDir();
const store = `flock://${dir}`;

/** SIGKILLs the wrapper and resolves once it is gone (its command may live on). */
async function killWrapper(run: ReturnType<typeof start>): Promise<void> {
  const gone = new Promise((resolve) => run.child.once('exit', resolve));
  run.child.kill('SIGKILL');
  await gone;
}

describe('run after its wrapper is SIGKILLed', () => {
  it('flock store: the command keeps the lock it inherited; a second run -n waits until it ends', async () => {
    const run = start(['run', '--store', store, 'orphaned', '--', ...holdCommand()]);
    const pid = await run.commandPid();
    await killWrapper(run);
    expect(alive(pid)).toBe(true);
    expect(lockwright(['run', '-n', '--store', store, 'orphaned', '--', 'true']).status).toBe(1);
    expect(lockwright(['run', '-n', '-s', '--store', store, 'orphaned', '--', 'true']).status).toBe(1);
    run.finish(); // creates the file the orphaned command waits for
    await until(() => !alive(pid), 'the command to end');
    expect(lockwright(['run', '-n', '--store', store, 'orphaned', '--', 'true']).status).toBe(0);
  });

  it('path resource: util-linux flock stays out while the orphaned command runs', async () => {
    const run = start(['run', `${dir}/orphan.lock`, '--', ...holdCommand()]);
    const pid = await run.commandPid();
    await killWrapper(run);
    expect(alive(pid)).toBe(true);
    expect(spawnSync('flock', ['-n', `${dir}/orphan.lock`, 'true']).status).toBe(1);
    run.finish();
    await until(() => !alive(pid), 'the command to end');
    expect(spawnSync('flock', ['-n', `${dir}/orphan.lock`, 'true']).status).toBe(0);
  });

  it('a shared flock lock is inherited too: writers stay out', async () => {
    const run = start(['run', '-s', '--store', store, 'orphaned-reader', '--', ...holdCommand()]);
    const pid = await run.commandPid();
    await killWrapper(run);
    expect(lockwright(['run', '-n', '--store', store, 'orphaned-reader', '--', 'true']).status).toBe(1);
    expect(lockwright(['run', '-n', '-s', '--store', store, 'orphaned-reader', '--', 'true']).status).toBe(0);
    run.finish();
    await until(() => !alive(pid), 'the command to end');
  });

  it('semaphore store: the command is killed with the wrapper, and the lock is free', async () => {
    const namespace = `semaphore://cli-death-${process.pid}`;
    const run = start(['run', '--store', namespace, 'sem-orphan', '--', ...holdCommand()]);
    const pid = await run.commandPid();
    expect(lockwright(['run', '-n', '--store', namespace, 'sem-orphan', '--', 'true']).status).toBe(1);
    await killWrapper(run);
    await until(() => !alive(pid), 'the command to die with its wrapper');
    expect(lockwright(['run', '-n', '--store', namespace, 'sem-orphan', '--', 'true']).status).toBe(0);
  });

  it('says how the command is tied to the lock with --verbose', () => {
    const flock = lockwright(['run', '-v', '--store', store, 'tied', '--', 'true']);
    expect(flock.stderr).toMatch(/inherits the locked descriptor as fd 3/);
    const sem = lockwright(['run', '-v', '--store', `semaphore://cli-death-${process.pid}`, 'tied', '--', 'true']);
    expect(sem.stderr).toMatch(/gets SIGKILL if lockwright dies \(setpriv --pdeathsig\)/);
  });

  it('hands the command its descriptor as fd 3, which holds the lock', () => {
    // The command itself checks with flock(1) on its fd 3: converting to shared succeeds
    // only on the descriptor that holds the exclusive lock (another one would conflict).
    const result = spawnSync(process.execPath, [bin, 'run', '--store', store, 'fd3', '--', 'sh', '-c', 'flock -n -s 3 && echo fd3-holds'], {
      encoding: 'utf8',
    });
    expect(result.stdout).toBe('fd3-holds\n');
    expect(result.status).toBe(0);
  });
});

