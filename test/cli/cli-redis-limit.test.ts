// `lockwright run --limit N --store redis://…`: at most N commands at once, counted in
// Symfony Semaphore's sorted sets (RedisPermitStore), a waiting command let in when a
// holder's command ends. Holders hold until the test says.
import { describe, expect, it } from 'vitest';
import { RedisServer, ready } from '../helpers/redis-server.js';
import { holdCommand, lockwright, start } from './run-cli.js';

const server = await RedisServer.start();
const admin = await ready(server.client());

describe('lockwright run --limit on redis://', () => {
  it('runs at most N commands at once, and lets a waiting one in when a holder ends', async () => {
    const first = start(['run', '--store', server.url, '--limit', '2', 'batch', '--', ...holdCommand()]);
    const second = start(['run', '--store', server.url, '--limit', '2', 'batch', '--', ...holdCommand()]);
    await first.commandPid();
    await second.commandPid();
    expect(await admin.zcard('{batch}:weight')).toBe(2);
    expect(await admin.zcard('{batch}:time')).toBe(2);
    expect(lockwright(['run', '-n', '--store', server.url, '--limit', '2', 'batch', '--', 'true']).status).toBe(1);
    const third = start(['run', '--store', server.url, '--limit', '2', 'batch', '--', ...holdCommand()]);
    first.finish();
    expect((await first.exited).code).toBe(0);
    await third.commandPid();
    expect(await admin.zcard('{batch}:weight')).toBe(2);
    second.finish();
    third.finish();
    expect((await second.exited).code).toBe(0);
    expect((await third.exited).code).toBe(0);
    expect(await admin.exists('{batch}:weight', '{batch}:time')).toBe(0);
  });
});
