// A PHP process using Symfony 5.4's PdoStore and a lockwright process using SqlStore on
// the same table exclude each other, both ways, on PostgreSQL, MariaDB and SQLite: same
// table, same sha256 ids, same expiry column in Unix seconds by the database clock.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LockFactory, SqlStore } from '../../src/index.js';
import { phpFixture, requirePhp } from '../helpers/php.js';
import { mysqlPool, postgresPool, sqliteDatabase, sqliteFile, tableName } from '../helpers/sql-servers.js';

const script = fileURLToPath(new URL('./fixtures/symfony-pdo.php', import.meta.url));
const symfonyPdoStore = '/usr/share/php/Symfony/Component/Lock/Store/PdoStore.php';

// Interop never skips: a missing PHP piece fails, naming the packages to install.
requirePhp({ extensions: ['pdo_pgsql', 'pdo_mysql', 'pdo_sqlite'], files: [symfonyPdoStore], packages: ['php-cli', 'php-symfony-lock', 'php8.2-pgsql', 'php8.2-mysql', 'php8.2-sqlite3'] });

const pgTable = tableName('php_pg');
const myTable = tableName('php_my');
const pool = await postgresPool([pgTable]);
const myPool = await mysqlPool([myTable]);
const file = sqliteFile();
const db = sqliteDatabase(file);

const targets = [
  { name: 'PostgreSQL', pdo: 'pgsql:host=127.0.0.1;port=5432;dbname=test', user: 'postgres', table: pgTable, store: () => new SqlStore(pool!, { table: pgTable }) },
  { name: 'MariaDB', pdo: 'mysql:host=127.0.0.1;port=3306;dbname=test', user: 'root', table: myTable, store: () => new SqlStore(myPool!, { table: myTable }) },
  { name: 'SQLite', pdo: `sqlite:${file}`, user: '-', table: 'lock_keys', store: () => new SqlStore(db!) },
];
const resources = ['interop-pdo', 'app:cache/rebuild ünïcode ✓'];

describe.each(targets)('interop with PHP Symfony PdoStore ($name)', ({ pdo, user, table, store }) => {
  const fixture = phpFixture((resource, mode) => [script, pdo, user, table, resource, mode]);

  it.each(resources)('a PHP holder excludes lockwright, then lets it in (%s)', async (resource) => {
    const holder = await fixture.hold(resource, 'hold-write');
    const lock = new LockFactory(store()).createLock(resource);
    expect(await lock.acquire()).toBe(false);
    // Symfony does not announce releases: the wait ends by its poll.
    const waiting = lock.acquire({ timeout: 10_000 });
    await holder.release();
    expect(await waiting).toBe(true);
    await lock.release();
  });

  it.each(resources)('a lockwright holder excludes PHP, then lets it in (%s)', async (resource) => {
    const lock = new LockFactory(store()).createLock(resource);
    expect(await lock.acquire()).toBe(true);
    expect(fixture.tryOnce(resource, 'try-write')).toBe('busy');
    await lock.release();
    expect(fixture.tryOnce(resource, 'try-write')).toBe('acquired');
    // PHP's try released its lock at exit (auto-release): lockwright gets it again.
    expect(await lock.acquire()).toBe(true);
    await lock.release();
  });
});
