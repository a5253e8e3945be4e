// `lockwright run` on Redis: the lock outlives its TTL while the command runs (it is
// refreshed), and is gone when the command ends. Holders hold until the test says.
import { describe, expect, it } from 'vitest';
import { RedisServer, ready } from '../helpers/redis-server.js';
import { holdCommand, lockwright, start } from './run-cli.js';

const server = await RedisServer.start();
const admin = await ready(server.client());

describe('lockwright run --store redis://', () => {
  it('keeps the lock refreshed past its TTL while the command runs, and releases it after', async () => {
    const holder = start(['run', '--store', server.url, '--ttl', '1s', 'cron-job', '--', ...holdCommand()]);
    await holder.commandPid();
    await new Promise((r) => setTimeout(r, 3_000)); // three TTLs: only refreshes keep it
    expect(await admin.exists('cron-job')).toBe(1);
    expect(lockwright(['run', '-n', '--store', server.url, 'cron-job', '--', 'true']).status).toBe(1);
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
});
