// flock(1)'s spellings, durations, exit statuses 126/127, and the signals `run`
// forwards to its command (the command traps each one and reports it): behaviour the
// README documents, each shown here end to end with real processes.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/cli/duration.js';
import { tempDir } from '../helpers/tmp.js';
import { holdCommand, lockwright, start } from './run-cli.js';

const dir = tempDir();
const store = `flock://${dir}`;
const semaphores = `semaphore://cli-flags-${process.pid}`;
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15 } as const;

describe('signals reach the command', () => {
  const cases = [
    ...Object.keys(SIGNALS).map((signal) => [signal, 'flock', store] as const),
    // Other stores start the command through setpriv and sh: the same pid gets the signal.
    ...(['SIGINT', 'SIGUSR1', 'SIGQUIT'] as const).map((signal) => [signal, 'semaphore', semaphores] as const),
  ];
  it.each(cases)('forwards %s (%s store), and exits with the command\'s status', async (signal, _label, where) => {
    const run = start(['run', '--store', where, `signal-${signal}`, '--', ...holdCommand('--trap')]);
    await run.commandPid();
    run.child.kill(signal as NodeJS.Signals);
    const { code, stdout } = await run.exited;
    expect(stdout).toContain(`got ${signal}\n`);
    expect(code).toBe(100 + SIGNALS[signal as keyof typeof SIGNALS]);
    expect(lockwright(['run', '-n', '--store', where, `signal-${signal}`, '--', 'true']).status).toBe(0);
  });
});

describe('commands that cannot run', () => {
  it('exits 126 for a file that is not executable, and for a directory, freeing the lock', () => {
    const script = join(dir, 'not-executable.sh');
    writeFileSync(script, '#!/bin/sh\necho never\n');
    chmodSync(script, 0o644);
    for (const where of [store, semaphores]) {
      const result = lockwright(['run', '--store', where, 'no-exec', '--', script]);
      expect(result.status).toBe(126);
      expect(result.stderr).toMatch(/cannot run .*not-executable\.sh: .* is not executable \(permission denied\)/);
      expect(result.stdout).toBe('');
      expect(lockwright(['run', '--store', where, 'no-exec', '--', dir]).status).toBe(126);
      expect(lockwright(['run', '-n', '--store', where, 'no-exec', '--', 'true']).status).toBe(0);
    }
  });

  it('exits 127 for a command that is not found, on every launch path', () => {
    for (const where of [store, semaphores]) {
      const result = lockwright(['run', '--store', where, 'no-such', '--', 'no-such-command-xyz']);
      expect(result.status).toBe(127);
      expect(result.stderr).toMatch(/cannot run no-such-command-xyz: command not found in PATH/);
      expect(lockwright(['run', '--store', where, 'no-such', '--', join(dir, 'absent')]).status).toBe(127);
    }
  });
});

describe('flock(1)\'s long flags', () => {
  it('takes --nonblock (--nb), --conflict-exit-code, --wait and --timeout, --shared, --exclusive (-e) and --command', async () => {
    const holder = start(['run', '--shared', '--store', store, 'long-flags', '--', ...holdCommand()]);
    await holder.commandPid();
    expect(lockwright(['run', '--nonblock', '--conflict-exit-code', '9', '--store', store, 'long-flags', '--', 'true']).status).toBe(9);
    expect(lockwright(['run', '--nb', '--exclusive', '--store', store, 'long-flags', '--', 'true']).status).toBe(1);
    expect(lockwright(['run', '--nb', '-e', '--store', store, 'long-flags', '--', 'true']).status).toBe(1);
    expect(lockwright(['run', '--wait', '0.1', '-E', '8', '--store', store, 'long-flags', '--', 'true']).status).toBe(8);
    expect(lockwright(['run', '--timeout', '100ms', '-E', '7', '--store', store, 'long-flags', '--', 'true']).status).toBe(7);
    const shared = lockwright(['run', '--nonblock', '--shared', '--store', store, '--command', 'echo "shared $((1 + 1))"', 'long-flags']);
    expect(shared.stdout).toBe('shared 2\n');
    expect(shared.status).toBe(0);
    holder.finish();
    await holder.exited;
  });

  it.each([
    [['run', '--wait', '1', '--timeout', '1', 'x', 'true'], /--wait and --timeout are the same option: give one/],
    [['run', '-s', '-e', 'x', 'true'], /-s and -x contradict/],
  ])('refuses %j', (args, message) => {
    const result = lockwright(args);
    expect(result.stderr).toMatch(message);
    expect(result.status).toBe(64);
  });
});

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['2', 2_000],
    ['1.5', 1_500],
    ['.5', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    [' 5m ', 300_000],
  ])('parses %j as %i ms', (text, ms) => {
    expect(parseDuration(text, '-w')).toBe(ms);
  });

  it.each(['', '5 m', '5min', '-1', '1e3', 'm', '5mm', '0x10'])('refuses %j naming the option and the accepted forms', (text) => {
    expect(() => parseDuration(text, '--ttl')).toThrow(/--ttl: ".*" is not a duration \(examples: 500ms, 30s, 5m, 2h; a bare number is seconds\)/);
  });

  it('-w 2 waits two seconds (not two milliseconds) for a held lock', async () => {
    const holder = start(['run', '--store', store, 'two-seconds', '--', ...holdCommand()]);
    await holder.commandPid();
    const began = performance.now();
    const result = lockwright(['run', '-w', '2', '-E', '5', '--store', store, 'two-seconds', '--', 'true']);
    const elapsed = performance.now() - began;
    expect(result.status).toBe(5);
    expect(elapsed).toBeGreaterThanOrEqual(2_000);
    expect(elapsed).toBeLessThan(60_000); // not two minutes either
    holder.finish();
    await holder.exited;
  });
});
