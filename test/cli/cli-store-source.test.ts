// A store DSN holding a password need not be on the command line, where every user of
// the machine reads it (/proc/<pid>/cmdline): LOCKWRIGHT_STORE and --store-file carry
// it instead. Against a redis-server of this file's own that requires a password.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RedisServer, ready } from '../helpers/redis-server.js';
import { tempDir } from '../helpers/tmp.js';
import { holdCommand, lockwright, start } from './run-cli.js';

const password = 'hunter2-Sekrit';
const server = await RedisServer.start();
const admin = await ready(server.client());
await admin.config('SET', 'requirepass', password); // this connection stays authenticated
const secretDsn = `redis://:${password}@127.0.0.1:${server.port}`;
const dir = tempDir();
const env = (extra: Record<string, string>) => ({ ...process.env, ...extra });

describe('the store DSN from the environment or a file', () => {
  it('LOCKWRIGHT_STORE: locks on the password-protected Redis, with no password in the command line', async () => {
    const run = start(['run', '--ttl', '1m', 'env-job', '--', ...holdCommand()], { env: env({ LOCKWRIGHT_STORE: secretDsn }) });
    await run.commandPid();
    expect(await admin.exists('env-job')).toBe(1);
    expect(readFileSync(`/proc/${run.child.pid}/cmdline`, 'utf8')).not.toContain(password);
    const busy = lockwright(['run', '-n', 'env-job', '--', 'true'], { env: env({ LOCKWRIGHT_STORE: secretDsn }) });
    expect(busy.status).toBe(1);
    const status = lockwright(['status', 'env-job'], { env: env({ LOCKWRIGHT_STORE: secretDsn }) });
    expect(status.stdout).toBe('env-job: held\n');
    expect(status.status).toBe(1);
    run.finish();
    expect((await run.exited).code).toBe(0);
    expect(await admin.exists('env-job')).toBe(0);
  });

  it('--store-file: reads the DSN from the first line of a file', () => {
    const file = join(dir, 'store');
    writeFileSync(file, `\n  ${secretDsn}  \n# ignored\n`, { mode: 0o600 });
    const result = lockwright(['run', '--store-file', file, 'file-job', '--', 'sh', '-c', 'echo ran']);
    expect(result.stdout).toBe('ran\n');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const status = lockwright(['status', '--store-file', file, 'file-job']);
    expect(status.stdout).toBe('file-job: free\n');
  });

  it('--store-file: warns when other users can read the file', () => {
    const file = join(dir, 'store-readable');
    writeFileSync(file, secretDsn);
    chmodSync(file, 0o644);
    const result = lockwright(['run', '--store-file', file, 'file-job', '--', 'true']);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/can be read by other users \(mode 0644\); chmod 600 it/);
    expect(result.stderr).not.toContain(password);
  });

  it('--store beats LOCKWRIGHT_STORE; a path beats LOCKWRIGHT_STORE but not --store', () => {
    const flockDir = tempDir();
    const overridden = lockwright(['run', '--store', `flock://${flockDir}`, 'beaten', '--', 'true'], { env: env({ LOCKWRIGHT_STORE: 'redis://127.0.0.1:1' }) });
    expect(overridden.status).toBe(0);
    const path = lockwright(['run', join(flockDir, 'p.lock'), '--', 'true'], { env: env({ LOCKWRIGHT_STORE: 'redis://127.0.0.1:1' }) });
    expect(path.status).toBe(0);
  });

  it.each([
    [['run', '--store', 'flock', '--store-file', '/nonexistent', 'x', 'true'], {}, /--store and --store-file contradict/, 64],
    [['run', '--store-file', '/nonexistent/store', 'x', 'true'], {}, /--store-file: cannot read "\/nonexistent\/store" \(ENOENT\)/, 64],
    [['run', 'x', 'true'], { LOCKWRIGHT_STORE: 'mongodb://u:hunter2-Sekrit@h/db' }, /^lockwright: LOCKWRIGHT_STORE: Unsupported store DSN/, 64],
    [['run', 'x', 'true'], { LOCKWRIGHT_STORE: `redis://:${password}@127.0.0.1:1` }, /lockwright: .*lock/, 69],
  ])('%j %j: %s, exit %i, no password shown', (args, extra, message, code) => {
    const result = lockwright(args as string[], { env: env(extra as Record<string, string>) });
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain(password);
    expect(result.status).toBe(code);
  });

  it('says so in --help', () => {
    const help = lockwright(['run', '--help']).stdout;
    expect(help).toContain('$LOCKWRIGHT_STORE');
    expect(help).toContain('--store-file <path>');
  });
});
