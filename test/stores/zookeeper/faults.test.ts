// ZookeeperStore when its server stops and comes back mid-hold. Locks live as long as
// the session: a restart within the session keeps them; a session that expired (the
// server forgot it) or that stayed out of reach for longer than its timeout loses them,
// and their Locks' signals abort. No call may hang meanwhile (ZooKeeper 3.8.0 accepts
// connections before it can serve them). Each test has its own server.
import { describe, expect, it } from 'vitest';
import { LockFactory, LockStorageError, createStore } from '../../../src/index.js';
import { ZookeeperServer } from '../../helpers/zookeeper-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

describe('ZookeeperStore across a server restart', () => {
  it('keeps its locks when the session survives the restart', { timeout: 120_000 }, async () => {
    const server = await ZookeeperServer.start();
    // The session must outlast the stop, the JVM's restart and the reconnect, however
    // slow a busy machine makes them: a minute (the restart itself gives up after 30 s).
    // A connection made while the restarted server still loads its database hangs in its
    // handshake; the store drops it after handshake_timeout and retries. Its default (half
    // the session per host, at most 5 s) must let a long session reconnect in time: it
    // was 30 s here before the cap, and this test then failed on a loaded machine.
    const store = createStore(server.dsn('?session_timeout=60000&operation_timeout=2000'));
    const lock = new LockFactory(store).createLock('restart-kept');
    expect(await lock.acquire()).toBe(true);
    const signal = lock.signal;
    await server.stop();
    // While the server is away, calls fail within their bound instead of hanging.
    const started = performance.now();
    await expect(lock.isAcquired()).rejects.toBeInstanceOf(LockStorageError);
    expect(performance.now() - started).toBeLessThan(5_000);
    await server.restart();
    await until(async () => lock.isAcquired().catch(() => false), 45_000);
    expect(signal.aborted).toBe(false);
    const rival = new LockFactory(createStore(server.dsn())).createLock('restart-kept');
    expect(await rival.acquire()).toBe(false);
    await lock.release();
    expect(await rival.acquire()).toBe(true);
    await rival.release();
  });

  it('aborts the signals when the server lost its data (the old session cannot come back), and takes locks again in a new session', async () => {
    const server = await ZookeeperServer.start();
    const store = createStore(server.dsn('?session_timeout=4000&operation_timeout=2000'));
    const factory = new LockFactory(store);
    const lock = factory.createLock('restart-expired');
    expect(await lock.acquire()).toBe(true);
    const signal = lock.signal;
    await server.stop();
    // A wiped data directory: the server refuses the old client (it has seen a newer
    // zxid), so the session is reported lost once the session timeout has passed.
    await server.restart(true);
    await until(() => signal.aborted);
    expect(signal.reason).toBeInstanceOf(LockStorageError);
    expect((signal.reason as Error).message).toMatch(/longer than the session timeout|session expired/);
    // The store opened a new session: it serves locks again.
    const again = factory.createLock('restart-expired');
    await until(async () => again.acquire().catch(() => false));
    await again.release();
  });

  it('aborts the signals when the server stays away longer than the session timeout, and frees the node if the session comes back', async () => {
    const server = await ZookeeperServer.start();
    const store = createStore(server.dsn('?session_timeout=3000&operation_timeout=1000'));
    const lock = new LockFactory(store).createLock('restart-lost');
    expect(await lock.acquire()).toBe(true);
    const signal = lock.signal;
    await server.stop();
    await sleep(1_500);
    expect(signal.aborted).toBe(false); // a short outage is not a loss
    await until(() => signal.aborted, 10_000);
    expect((signal.reason as Error).message).toMatch(/longer than the session timeout/);
    // The server kept the old session on disk; the store moved to a new one, so the old
    // session expires on the server by itself, and the lock's node with it.
    await server.restart();
    const rival = new LockFactory(createStore(server.dsn())).createLock('restart-lost');
    expect(await rival.acquire({ timeout: 10_000 })).toBe(true);
    await rival.release();
  });
});
