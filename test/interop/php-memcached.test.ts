// A PHP process using Symfony 5.4's MemcachedStore and a lockwright process on the same
// memcached exclude each other, both ways: same keys (the resource), tokens as plain
// strings, add/gets/cas on both sides.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LockFactory, MemcachedStore } from '../../src/index.js';
import { MemcachedServer } from '../helpers/memcached-server.js';
import { phpFixture, requirePhp } from '../helpers/php.js';

requirePhp({
  extensions: ['memcached'],
  files: ['/usr/share/php/Symfony/Component/Lock/Store/MemcachedStore.php'],
  packages: ['php-cli', 'php-symfony-lock', 'php-memcached'],
});

const script = fileURLToPath(new URL('./fixtures/symfony-memcached.php', import.meta.url));
const server = await MemcachedServer.start();
const client = server.client();
const fixture = phpFixture((resource, mode) => [script, String(server.port), resource, mode]);
const resources = ['interop-memcached', 'app:cache/rebuild{tag}[1]~!'];

describe('interop with PHP Symfony MemcachedStore (same memcached)', () => {
  const factory = () => new LockFactory(new MemcachedStore(client, { pollInterval: 50 }));

  it.each(resources)('a PHP holder excludes lockwright, then lets it in (%s)', async (resource) => {
    const holder = await fixture.hold(resource, 'hold-write');
    const lock = factory().createLock(resource);
    expect(await lock.acquire()).toBe(false);
    const waiting = lock.acquire({ timeout: 10_000 });
    await holder.release();
    expect(await waiting).toBe(true);
    await lock.release();
  });

  it.each(resources)('a lockwright holder excludes PHP, then lets it in (%s)', async (resource) => {
    const lock = factory().createLock(resource);
    expect(await lock.acquire()).toBe(true);
    expect(fixture.tryOnce(resource, 'try-write')).toBe('busy');
    // PHP's failed acquire did not disturb the holder.
    expect(await lock.isAcquired()).toBe(true);
    await lock.refresh();
    await lock.release();
    expect(fixture.tryOnce(resource, 'try-write')).toBe('acquired');
  });
});
