// `lockwright run` on Redis (a redis-server of this file's own): the lock outlives its
// TTL while the command runs (it is refreshed) and is gone when the command ends; a
// command never outlives the lock: killed with a SIGKILLed wrapper, stopped when the
// lock is lost (--on-lost kill, exit 75) or only warned about (--on-lost warn).
// Holders hold until the test says.
import { describe, expect, it } from 'vitest';
import { RedisServer, ready } from '../helpers/redis-server.js';
import { alive, holdCommand, lockwright, start, until } from './run-cli.js';

const server = await RedisServer.start();
const admin = await ready(server.client());

describe('lockwright run --store redis://', () => {
  it('keeps the lock refreshed past its TTL while the command runs, and releases it after', async () => {
    const holder = start(['run', '--store', server.url, '--ttl', '2s', 'cron-job', '--', ...holdCommand()]);
    await holder.commandPid();
    await new Promise((r) => setTimeout(r, 5_000)); // two and a half TTLs: only refreshes keep it
    expect(await admin.exists('cron-job')).toBe(1);
    expect(lockwright(['run', '-n', '--store', server.url, 'cron-job', '--', 'true']).status).toBe(1);
    const held = lockwright(['status', '--store', server.url, 'cron-job']);
    expect(held.stdout).toBe('cron-job: held\n');
    expect(held.status).toBe(1);
    expect(await admin.pttl('cron-job')).toBeGreaterThan(0);
    holder.finish();
    expect((await holder.exited).code).toBe(0);
    expect(await admin.exists('cron-job')).toBe(0);
    const status = lockwright(['status', '--store', server.url, 'cron-job']);
    expect(status.stdout).toBe('cron-job: free\n');
  });

  it('exits 69 with a message when the store cannot be reached', () => {
    const result = lockwright(['run', '--store', 'redis://127.0.0.1:1', 'x', '--', 'true']);
    expect(result.status).toBe(69);
    expect(result.stderr).toMatch(/lockwright: .*lock/);
  });

  it('kills the command with a SIGKILLed wrapper: it must not run on while the key expires', async () => {
    const run = start(['run', '--store', server.url, '--ttl', '2s', 'orphan-job', '--', ...holdCommand()]);
    const pid = await run.commandPid();
    const gone = new Promise((resolve) => run.child.once('exit', resolve));
    run.child.kill('SIGKILL');
    await gone;
    await until(() => !alive(pid), 'the command to die with its wrapper');
  });
});

describe('lockwright run --on-lost', () => {
  it('kill (the default): stops the command with SIGTERM when the key is deleted behind its back, exit 75', async () => {
    const run = start(['run', '--store', server.url, '--ttl', '600ms', 'lost-job', '--', ...holdCommand('--trap')]);
    const pid = await run.commandPid();
    expect(await admin.del('lost-job')).toBe(1);
    const { code, stdout, stderr } = await run.exited;
    expect(stdout).toContain('got SIGTERM');
    expect(stderr).toMatch(/lost the lock "lost-job" while the command runs: .*; stopping it \(SIGTERM, SIGKILL after 10\.0 s\)/);
    expect(code).toBe(75);
    expect(alive(pid)).toBe(false);
  });

  it('kill: a command that ignores SIGTERM gets SIGKILL after --kill-after (FLUSHALL)', async () => {
    const run = start(['run', '--store', server.url, '--ttl', '600ms', '--kill-after', '1s', 'stubborn-job', '--', ...holdCommand('--ignore-term')]);
    const pid = await run.commandPid();
    await admin.flushall();
    const { code, stdout } = await run.exited;
    expect(stdout).toContain('ignored SIGTERM');
    expect(code).toBe(75);
    expect(alive(pid)).toBe(false);
  });

  it('warn: says the lock was lost and lets the command finish with its own status', async () => {
    const run = start(['run', '--store', server.url, '--ttl', '600ms', '--on-lost', 'warn', 'warned-job', '--', ...holdCommand('--exit', '4')]);
    const pid = await run.commandPid();
    await admin.del('warned-job');
    await until(() => run.stderr().includes('lost the lock'), 'the warning', 30_000, run.stderr);
    expect(run.stderr()).toMatch(/lost the lock "warned-job" while the command runs \(--on-lost warn: it runs on\): /);
    expect(alive(pid)).toBe(true);
    run.finish();
    expect((await run.exited).code).toBe(4);
  });

  it('refuses an --on-lost action it does not know', () => {
    const result = lockwright(['run', '--on-lost', 'ignore', 'x', '--', 'true']);
    expect(result.status).toBe(64);
    expect(result.stderr).toMatch(/--on-lost <action>' argument 'ignore' is invalid. Allowed choices are kill, warn/);
  });
});

describe('lockwright run --ttl on Redis', () => {
  it.each([
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['90', 90_000],
  ])('--ttl %s gives the key a lifetime of %i ms', async (ttl, ms) => {
    const resource = `ttl-${ttl}`;
    const run = start(['run', '--store', server.url, '--ttl', ttl, resource, '--', ...holdCommand()]);
    await run.commandPid();
    const pttl = await admin.pttl(resource);
    expect(pttl).toBeGreaterThan(ms - 60_000);
    expect(pttl).toBeLessThanOrEqual(ms);
    run.finish();
    expect((await run.exited).code).toBe(0);
  });
});
