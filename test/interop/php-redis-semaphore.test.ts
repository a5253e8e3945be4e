// A PHP process using Symfony Semaphore's RedisStore and a lockwright process using
// RedisPermitStore on the same Redis count against the same N permits, both ways: same
// sorted sets, same whole-second expiries, same counting of weights.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RedisPermitStore, SemaphoreFactory } from '../../src/index.js';
import { phpFixture, requirePhp } from '../helpers/php.js';
import { RedisServer, ready, waitingForPermits } from '../helpers/redis-server.js';

const script = fileURLToPath(new URL('./fixtures/symfony-redis-semaphore.php', import.meta.url));
const symfonySemaphore = '/usr/share/php/Symfony/Component/Semaphore/autoload.php';

// Interop never skips: a missing PHP piece fails, naming the packages to install.
requirePhp({ extensions: ['redis'], files: [symfonySemaphore], packages: ['php-cli', 'php-symfony-semaphore', 'php-redis'] });

const server = await RedisServer.start();
const client = await ready(server.client());
const admin = await ready(server.client());
const resources = ['interop-semaphore', 'app:jobs/rebuild ünïcode ✓', 'tagged{x}'];

/** Symfony's semaphore of `limit` permits, taking `weight` of them, in a PHP process. */
const php = (limit: number, weight = 1) => phpFixture((resource, mode) => [script, String(server.port), resource, String(limit), String(weight), mode]);

describe('interop with PHP Symfony Semaphore RedisStore (same Redis)', () => {
  const factory = () => new SemaphoreFactory(new RedisPermitStore(client, { pollInterval: 100 }));

  it.each(resources)("a PHP holder's permits count against lockwright's limit (%s)", async (resource) => {
    const holder = await php(3, 2).hold(resource, 'hold-write');
    const semaphores = factory();
    expect(await semaphores.createSemaphore(resource, 3, { weight: 2 }).acquire()).toBe(false);
    const one = semaphores.createSemaphore(resource, 3);
    expect(await one.acquire()).toBe(true);
    expect(await semaphores.createSemaphore(resource, 3).acquire()).toBe(false);
    await holder.release();
    const two = semaphores.createSemaphore(resource, 3, { weight: 2 });
    expect(await two.acquire()).toBe(true);
    await one.release();
    await two.release();
  });

  it.each(resources)("lockwright's permits count against a PHP semaphore's limit (%s)", async (resource) => {
    const semaphores = factory();
    const [a, b] = [semaphores.createSemaphore(resource, 3), semaphores.createSemaphore(resource, 3)];
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(true);
    expect(php(3, 2).tryOnce(resource, 'try-write')).toBe('busy');
    expect(php(3, 1).tryOnce(resource, 'try-write')).toBe('acquired');
    await a.release();
    expect(php(3, 2).tryOnce(resource, 'try-write')).toBe('acquired');
    await b.release();
    expect(php(3, 3).tryOnce(resource, 'try-write')).toBe('acquired');
  });

  it('PHP and lockwright holders together never exceed the limit, and PHP sees lockwright refresh', async () => {
    const resource = 'interop-semaphore-mixed';
    const phpHolder = await php(2).hold(resource, 'hold-write');
    const semaphore = factory().createSemaphore(resource, 2, { ttl: 20_000 });
    expect(await semaphore.acquire()).toBe(true);
    expect(php(2).tryOnce(resource, 'try-write')).toBe('busy');
    // PHP's refused acquire left the weight set without an expiry (Symfony's ZINTERSTORE
    // drops it); lockwright's next script puts it back: 10 s after the last holder.
    await semaphore.refresh('60s');
    const last = Number((await admin.zrevrange(`{${resource}}:time`, 0, 0, 'WITHSCORES'))[1]);
    expect(await admin.expiretime(`{${resource}}:weight`)).toBe(last + 10);
    expect(php(2).tryOnce(resource, 'try-write')).toBe('busy');
    await phpHolder.release();
    expect(php(2).tryOnce(resource, 'try-write')).toBe('acquired');
    await semaphore.release();
  });

  it('wakes a lockwright waiter by its poll when PHP releases (PHP does not publish)', async () => {
    const resource = 'interop-semaphore-wait';
    const holder = await php(1).hold(resource, 'hold-write');
    const semaphore = factory().createSemaphore(resource, 1);
    const waiting = semaphore.acquire({ timeout: 60_000 });
    await waitingForPermits(admin, resource);
    const released = performance.now();
    await holder.release();
    expect(await waiting).toBe(true);
    // The poll is 100 ms; PHP's permits live 30 s: any answer within 10 s came from the poll.
    expect(performance.now() - released).toBeLessThan(10_000);
    await semaphore.release();
  });
});
