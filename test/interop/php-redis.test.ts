// A PHP process using Symfony's RedisStore and a lockwright process on the same Redis
// exclude each other, both ways: same keys, same sorted sets, same scripts' rules.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LockFactory, RedisStore } from '../../src/index.js';
import { phpFixture, requirePhp } from '../helpers/php.js';
import { RedisServer, ready, waitingFor } from '../helpers/redis-server.js';

const script = fileURLToPath(new URL('./fixtures/symfony-redis.php', import.meta.url));
const symfonyRedisStore = '/usr/share/php/Symfony/Component/Lock/Store/RedisStore.php';

// Interop never skips: a missing PHP piece fails, naming the packages to install.
requirePhp({ extensions: ['redis'], files: [symfonyRedisStore], packages: ['php-cli', 'php-symfony-lock', 'php-redis'] });

const server = await RedisServer.start();
const client = server ? await ready(server.client()) : null;
const resources = ['interop-redis', 'app:cache/rebuild ünïcode ✓', '{tagged}:resource'];

const fixture = phpFixture((resource, mode) => [script, String(server?.port), resource, mode]);
const tryPhp = fixture.tryOnce;
const holdInPhp = fixture.hold;

describe('interop with PHP Symfony RedisStore (same Redis)', () => {
  const factory = () => new LockFactory(new RedisStore(client!, { pollInterval: 100 }));

  it.each(resources)('a PHP holder excludes lockwright, then lets it in (%s)', async (resource) => {
    const holder = await holdInPhp(resource, 'hold-write');
    const lock = factory().createLock(resource);
    expect(await lock.acquire()).toBe(false);
    expect(await lock.acquireRead()).toBe(false);
    // Symfony does not publish releases: the wait ends by its fallback poll.
    const waiting = lock.acquire({ timeout: 5_000 });
    await holder.release();
    expect(await waiting).toBe(true);
    await lock.release();
  });

  it.each(resources)('a lockwright holder excludes PHP, then lets it in (%s)', async (resource) => {
    const lock = factory().createLock(resource);
    expect(await lock.acquire()).toBe(true);
    expect(tryPhp(resource, 'try-write')).toBe('busy');
    expect(tryPhp(resource, 'try-read')).toBe('busy');
    await lock.release();
    expect(tryPhp(resource, 'try-write')).toBe('acquired');
  });

  it('shares read locks with PHP readers and keeps writers out on both sides', async () => {
    const resource = 'interop-redis-shared';
    const phpReader = await holdInPhp(resource, 'hold-read');
    const reader = factory().createLock(resource);
    expect(await reader.acquireRead()).toBe(true);
    expect(await factory().createLock(resource).acquire()).toBe(false);
    expect(tryPhp(resource, 'try-write')).toBe('busy');
    expect(tryPhp(resource, 'try-read')).toBe('acquired');
    await phpReader.release();
    expect(tryPhp(resource, 'try-write')).toBe('busy');
    await reader.release();
    expect(tryPhp(resource, 'try-write')).toBe('acquired');
  });

  it('wakes a lockwright waiter by its poll when PHP releases (PHP does not publish)', async () => {
    const resource = 'interop-redis-wait';
    const holder = await holdInPhp(resource, 'hold-write');
    const lock = factory().createLock(resource);
    const waiting = lock.acquire({ timeout: 60_000 });
    await waitingFor(client!, resource);
    const released = performance.now();
    await holder.release();
    expect(await waiting).toBe(true);
    // The poll is 100 ms; PHP's lock lives 30 s: any answer within 10 s came from the poll.
    expect(performance.now() - released).toBeLessThan(10_000);
    await lock.release();
  });
});
