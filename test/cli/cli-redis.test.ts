// `lockwright run` on Redis: the lock outlives its TTL while the command runs (it is
// refreshed), and is gone when the command ends.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RedisServer, ready } from '../helpers/redis-server.js';

const bin = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const server = await RedisServer.start();
const admin = await ready(server.client());

describe('lockwright run --store redis://', () => {
  it('keeps the lock refreshed past its TTL while the command runs, and releases it after', async () => {
    const holder = spawn(process.execPath, [bin, 'run', '--store', server.url, '--ttl', '300ms', 'cron-job', '--', process.execPath, '-e', 'console.log("up"); setTimeout(() => {}, 1200)'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, 800)); // more than two TTLs
    expect(await admin.exists('cron-job')).toBe(1);
    const busy = spawnSync(process.execPath, [bin, 'run', '-n', '--store', server.url, 'cron-job', '--', 'true'], { encoding: 'utf8' });
    expect(busy.status).toBe(1);
    const code = await new Promise((resolve) => holder.on('exit', resolve));
    expect(code).toBe(0);
    expect(await admin.exists('cron-job')).toBe(0);
    const status = spawnSync(process.execPath, [bin, 'status', '--store', server.url, 'cron-job'], { encoding: 'utf8' });
    expect(status.stdout).toBe('cron-job: free\n');
  });

  it('exits 69 with a message when the store cannot be reached', () => {
    const result = spawnSync(process.execPath, [bin, 'run', '--store', 'redis://127.0.0.1:1', 'x', '--', 'true'], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(69);
    expect(result.stderr).toMatch(/lockwright: .*lock/);
  });
});
