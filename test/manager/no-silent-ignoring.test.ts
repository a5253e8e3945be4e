// No silent ignoring (issue 9, item 12): Glueful's positional TTL, unknown option keys and
// Glueful's snake_case config keys are errors naming the argument or key and the form to
// write instead; nothing is dropped.
import { describe, expect, it } from 'vitest';
import { InMemoryStore, InvalidArgumentError, LockFactory, LockManager } from '../../src/index.js';
import { resolveConfig } from '../../src/manager/config.js';

const memoryManager = () => new LockManager({ default: 'memory', metrics: false });

describe('positional arguments where an options object belongs', () => {
  it('refuses executeWithLock(name, fn, 900) and waitAndExecute(name, fn, 30), naming { ttl: "900s" }', async () => {
    const m = memoryManager();
    let ran = false;
    const run = () => {
      ran = true;
    };
    await expect(m.executeWithLock('job', run, 900 as never)).rejects.toThrow(InvalidArgumentError);
    await expect(m.executeWithLock('job', run, 900 as never)).rejects.toThrow(
      /executeWithLock\(\) options must be an object \{ ttl \}; got 900\. .*\{ ttl: '900s' \} for 900 seconds/,
    );
    await expect(m.waitAndExecute('job', run, 30 as never)).rejects.toThrow(/waitAndExecute\(\) options .*\{ ttl: '30s' \}/);
    expect(ran).toBe(false);
    expect(await m.isLocked('job')).toBe(false);
  });

  it('refuses createLock(name, 300) on the manager and on a factory', () => {
    expect(() => memoryManager().createLock('job', 300 as never)).toThrow(/createLock\(\) options .*got 300\. .*\{ ttl: '300s' \}/);
    expect(() => new LockFactory(new InMemoryStore()).createLock('job', 300 as never)).toThrow(/\{ ttl: '300s' \} for 300 seconds/);
    expect(() => new LockFactory(new InMemoryStore()).createLock('job', '5m' as never)).toThrow(/\{ ttl: "5m" \}/);
  });
});

describe('unknown option keys', () => {
  it.each([
    ['LockOptions', () => new LockFactory(new InMemoryStore()).createLock('x', { ttl: 1_000, autorefresh: true } as never), /createLock\(\) options: unknown option "autorefresh" \(known: ttl, autoRelease, autoRefresh\)/],
    ['manager createLock options', () => memoryManager().createLock('x', { timeout: 5 } as never), /unknown option "timeout"/],
    ['LockFactory options', () => new LockFactory(new InMemoryStore(), { log: console } as never), /LockFactory options: unknown option "log"/],
    ['InMemoryStore options', () => new InMemoryStore({ ttl: 30 } as never), /InMemoryStore options: unknown option "ttl" \(known: initialTtl\)/],
  ])('refuses an unknown key in %s', (_label, make, message) => {
    expect(make).toThrow(InvalidArgumentError);
    expect(make).toThrow(message);
  });

  it('refuses unknown keys in acquire() and the manager calls', async () => {
    const lock = new LockFactory(new InMemoryStore()).createLock('x');
    await expect(lock.acquire({ timout: 100 } as never)).rejects.toThrow(/acquire\(\) options: unknown option "timout" \(known: blocking, signal, timeout\)/);
    expect(await lock.isAcquired()).toBe(false);
    const m = memoryManager();
    await expect(m.executeWithLock('x', () => 1, { tll: 10 } as never)).rejects.toThrow(/executeWithLock\(\) options: unknown option "tll"/);
    await expect(m.waitAndExecute('x', () => 1, { max_wait: 10 } as never)).rejects.toThrow(/unknown option "max_wait".*maxWait: '10s'/);
  });
});

describe("Glueful's config keys", () => {
  it.each([
    [{ retry: { max_wait: 10 } }, /LockManager config "retry": unknown option "max_wait" \(known: delay, maxWait\)\. .*in seconds.*maxWait: '10s'/],
    [{ stores: { redis: { driver: 'redis', connection: 'default' } } }, /Store "redis" \(driver redis\): unknown option "connection".*url/],
    [{ stores: { file: { driver: 'file', extension: '.lock' } } }, /Store "file" \(driver file\): unknown option "extension".*sf\.<name>\.<hash>\.lock/],
    [{ stores: { redis: { driver: 'redis', url: 'redis://h', ttl: 300 } } }, /unknown option "ttl".*manager's ttl/],
    [{ timeout: 5 }, /LockManager config: unknown option "timeout" \(known: default, stores, prefix, ttl, retry, metrics, logger\)/],
    [{ stores: { db: { driver: 'database', url: 'sqlite::memory:', connection: 'main' } } }, /Store "db" \(driver database\): unknown option "connection"/],
    [{ stores: { x: { driver: 'custom' } } }, /driver "custom" needs "store"/],
    [{ stores: { f: { driver: 'file', mode: '0660' } } }, /"mode" must be file permission bits/],
    [{ metrics: 'yes' }, /"metrics" must be a boolean/],
  ])('refuses %j naming the key', (config, message) => {
    expect(() => resolveConfig(config as never)).toThrow(InvalidArgumentError);
    expect(() => resolveConfig(config as never)).toThrow(message);
  });

  it('replaces a built-in store entirely when the entry names another driver', () => {
    const store = new InMemoryStore();
    expect(resolveConfig({ stores: { redis: { driver: 'custom', store } } }).stores.redis).toEqual({ driver: 'custom', store });
  });
});
