// A PHP process using Symfony 5.4's PostgreSqlStore and a lockwright process on the same
// database exclude each other, both ways: the same crc32 lock ids on the same
// single-bigint advisory locks, shared locks included; and each side's waits are woken
// by the other's release (both wait on the server).
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LockFactory, PostgreSqlStore } from '../../src/index.js';
import { phpFixture, requirePhp } from '../helpers/php.js';
import { pgClient, until } from '../helpers/postgres.js';

const script = fileURLToPath(new URL('./fixtures/symfony-postgres-advisory.php', import.meta.url));
const symfonyStore = '/usr/share/php/Symfony/Component/Lock/Store/PostgreSqlStore.php';

// Interop never skips: a missing PHP piece fails, naming the packages to install.
requirePhp({ extensions: ['pdo_pgsql'], files: [symfonyStore], packages: ['php-cli', 'php-symfony-lock', 'php8.2-pgsql'] });

const client = await pgClient();
const fixture = phpFixture((resource, mode) => [script, resource, mode]);
const resources = ['interop-pg-advisory', 'app:cache/rebuild ünïcode ✓'];

describe('interop with PHP Symfony PostgreSqlStore (same database)', () => {
  const factory = () => new LockFactory(new PostgreSqlStore(client!));

  it.each(resources)('a PHP holder excludes lockwright, and its release wakes a lockwright waiter (%s)', async (resource) => {
    const holder = await fixture.hold(resource, 'hold-write');
    const lock = factory().createLock(resource);
    expect(await lock.acquire()).toBe(false);
    expect(await lock.acquireRead()).toBe(false);
    const waiting = lock.acquire({ timeout: 10_000 });
    await holder.release();
    expect(await waiting).toBe(true);
    await lock.release();
  });

  it.each(resources)('a lockwright holder excludes PHP, and its release wakes a PHP waiter (%s)', async (resource) => {
    const lock = factory().createLock(resource);
    expect(await lock.acquire()).toBe(true);
    expect(fixture.tryOnce(resource, 'try-write')).toBe('busy');
    expect(fixture.tryOnce(resource, 'try-read')).toBe('busy');
    const phpWaiter = fixture.hold(resource, 'hold-write');
    // PHP blocks in pg_advisory_lock on the same id (seen waiting on the server).
    const id = String(crc32(Buffer.from(resource)));
    expect(
      await until(async () => {
        const { rows } = await client!.query(
          "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = $1::oid AND NOT granted",
          [id],
        );
        return rows.length === 1;
      }),
    ).toBe(true);
    await lock.release();
    const held = await phpWaiter;
    expect(await lock.acquire()).toBe(false);
    await held.release();
    expect(fixture.tryOnce(resource, 'try-write')).toBe('acquired');
  });

  it('shares read locks with PHP readers and keeps writers out on both sides', async () => {
    const resource = 'interop-pg-shared';
    const phpReader = await fixture.hold(resource, 'hold-read');
    const reader = factory().createLock(resource);
    expect(await reader.acquireRead()).toBe(true);
    expect(await factory().createLock(resource).acquire()).toBe(false);
    expect(fixture.tryOnce(resource, 'try-write')).toBe('busy');
    expect(fixture.tryOnce(resource, 'try-read')).toBe('acquired');
    await phpReader.release();
    expect(fixture.tryOnce(resource, 'try-write')).toBe('busy');
    await reader.release();
    expect(fixture.tryOnce(resource, 'try-write')).toBe('acquired');
  });
});
