// A PHP process using Symfony's FlockStore and a lockwright process on the same
// directory exclude each other, both ways: same lock file names, same flock(2) locks.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FlockStore, LockFactory } from '../../src/index.js';
import { phpFixture, requirePhp } from '../helpers/php.js';
import { tempDir } from '../helpers/tmp.js';

const script = fileURLToPath(new URL('./fixtures/symfony-flock.php', import.meta.url));
const symfonyAutoload = '/usr/share/php/Symfony/Component/Lock/autoload.php';

// Interop never skips: a missing PHP piece fails, naming the packages to install.
requirePhp({ files: [symfonyAutoload], packages: ['php-cli', 'php-symfony-lock'] });

const dir = tempDir();
const resources = ['interop-simple', 'app:cache/rebuild ünïcode ✓', '../escape/attempt', 'x'.repeat(300)];

const fixture = phpFixture((resource, mode) => [script, dir, resource, mode]);
const tryPhp = fixture.tryOnce;
const holdInPhp = fixture.hold;

describe('interop with PHP Symfony FlockStore (same directory)', () => {
  const factory = new LockFactory(new FlockStore(dir));

  it.each(resources)('a PHP holder excludes lockwright, then lets it in (%s)', async (resource) => {
    const holder = await holdInPhp(resource, 'hold-write');
    const lock = factory.createLock(resource);
    expect(await lock.acquire()).toBe(false);
    expect(await lock.acquireRead()).toBe(false);
    const waiting = lock.acquire({ timeout: 5_000 });
    await holder.release();
    expect(await waiting).toBe(true);
    await lock.release();
  });

  it.each(resources)('a lockwright holder excludes PHP, then lets it in (%s)', async (resource) => {
    const lock = factory.createLock(resource);
    expect(await lock.acquire()).toBe(true);
    expect(tryPhp(resource, 'try-write')).toBe('busy');
    expect(tryPhp(resource, 'try-read')).toBe('busy');
    await lock.release();
    expect(tryPhp(resource, 'try-write')).toBe('acquired');
  });

  it('shares read locks with PHP readers and keeps writers out on both sides', async () => {
    const resource = 'interop-shared';
    const phpReader = await holdInPhp(resource, 'hold-read');
    const reader = factory.createLock(resource);
    expect(await reader.acquireRead()).toBe(true);
    expect(await factory.createLock(resource).acquire()).toBe(false);
    expect(tryPhp(resource, 'try-write')).toBe('busy');
    await phpReader.release();
    expect(tryPhp(resource, 'try-write')).toBe('busy');
    await reader.release();
    expect(tryPhp(resource, 'try-write')).toBe('acquired');
  });
});
