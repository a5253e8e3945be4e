// ZookeeperStore against a real ZooKeeper (one server for the file: start-up is slow):
// the conformance suite for what it declares (queued waits, keys bound to the session),
// Symfony's node layout, the queue's nodes, and DSNs.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Key, LockFactory, ZookeeperStore, createStore } from '../../../src/index.js';
import { runConformance } from '../../conformance/index.js';
import { ZookeeperServer } from '../../helpers/zookeeper-server.js';
import { defaultHandshakeTimeout } from '../../../src/stores/zookeeper/backend.js';

const server = await ZookeeperServer.start();
const client = await server.client();
const admin = await server.client();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const getData = (path: string) =>
  new Promise<string | null>((resolve, reject) =>
    admin.getData(path, (error: unknown, data?: Buffer) => {
      if (!error) resolve(data?.toString() ?? '');
      else if ((error as { code?: number }).code === -101) resolve(null);
      else reject(error);
    }),
  );
const children = (path: string) =>
  new Promise<string[]>((resolve) =>
    admin.getChildren(path, (error: unknown, list?: string[]) => resolve(error ? [] : (list ?? []))),
  );

runConformance({
  expect: { blocking: true, shared: false, expiring: false },
  name: 'ZookeeperStore',
  makeStore: () => new ZookeeperStore(client),
  local: true,
});

describe('ZookeeperStore node layout (Symfony ZookeeperStore)', () => {
  it('holds an ephemeral node at "/" + resource, with the token as data', async () => {
    const store = new ZookeeperStore(client);
    const key = new Key('layout-plain');
    await store.save(key);
    const data = await getData('/layout-plain');
    expect(Buffer.from(data!, 'base64')).toHaveLength(32);
    const stat = await new Promise<{ ephemeralOwner: Buffer }>((resolve) => admin.exists('/layout-plain', (_e, s) => resolve(s as unknown as { ephemeralOwner: Buffer })));
    expect(stat.ephemeralOwner.equals(client.getSessionId())).toBe(true);
    await store.delete(key);
    expect(await getData('/layout-plain')).toBeNull();
  });

  it('flattens a resource with "/" as Symfony does: "-" for "/", then "-" and its sha1', async () => {
    const store = new ZookeeperStore(client);
    const resource = 'app/cache/rebuild';
    const key = new Key(resource);
    await store.save(key);
    const sha1 = createHash('sha1').update(resource).digest('hex');
    expect(await getData(`/app-cache-rebuild-${sha1}`)).not.toBeNull();
    await store.delete(key);
  });

  it('refuses resources ZooKeeper cannot name, naming them', async () => {
    const store = new ZookeeperStore(client);
    for (const resource of ['zookeeper', 'lockwright-waiters', '.', '..', 'bell\u0007', 'emoji 🔒']) {
      await expect(store.save(new Key(resource))).rejects.toThrow(InvalidArgumentError);
    }
    const key = new Key('ünïcode ✓ and spaces');
    await store.save(key);
    expect(await store.exists(key)).toBe(true);
    await store.delete(key);
  });

  it('queues each waiter as an ephemeral sequential node, removed on timeout and abort', async () => {
    const store = new ZookeeperStore(client);
    const holder = new Key('queue-nodes');
    await store.save(holder);
    const controller = new AbortController();
    const aborted = store.waitAndSave(new Key('queue-nodes'), { signal: controller.signal });
    const timed = store.waitAndSave(new Key('queue-nodes'), { timeout: 400 });
    await sleep(150);
    const queued = await children('/lockwright-waiters/queue-nodes');
    expect(queued).toHaveLength(2);
    expect(queued.every((name) => /^w-\d{10}$/.test(name))).toBe(true);
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    expect(await children('/lockwright-waiters/queue-nodes')).toHaveLength(1);
    await expect(timed).rejects.toThrow(/Timed out after 400 ms/);
    expect(await children('/lockwright-waiters/queue-nodes')).toHaveLength(0);
    await store.delete(holder);
  });

  it('a holder that releases and waits again queues behind the waiter already there (no barging)', async () => {
    const other = await server.client();
    const [mine, theirs] = [new ZookeeperStore(client), new ZookeeperStore(other)];
    const first = new Key('no-barging');
    await mine.save(first);
    const waiter = new Key('no-barging');
    const order: string[] = [];
    const waiting = theirs.waitAndSave(waiter, { timeout: 20_000 }).then(() => order.push('waiter'));
    await expect.poll(() => children('/lockwright-waiters/no-barging'), { timeout: 10_000, interval: 20 }).toHaveLength(1);
    await mine.delete(first);
    const again = new Key('no-barging');
    const back = mine.waitAndSave(again, { timeout: 20_000 }).then(() => order.push('holder again'));
    await waiting;
    expect(order).toEqual(['waiter']);
    await theirs.delete(waiter);
    await back;
    expect(order).toEqual(['waiter', 'holder again']);
    // And an acquire of a lock this key already holds returns at once, queue or not.
    const third = new Key('no-barging');
    const queued = theirs.waitAndSave(third, { timeout: 20_000 });
    await expect.poll(() => children('/lockwright-waiters/no-barging'), { timeout: 10_000, interval: 20 }).toHaveLength(1);
    await mine.waitAndSave(again, { timeout: 5_000 });
    await mine.delete(again);
    await queued;
    await theirs.delete(third);
  });

  it('never keeps a key that held a lock serializable, and locks do not expire', async () => {
    const lock = new LockFactory(new ZookeeperStore(client)).createLock('no-expiry', { ttl: 100 });
    expect(await lock.acquire()).toBe(true);
    await sleep(200);
    expect(await lock.isAcquired()).toBe(true);
    await lock.release();
  });

  it('refuses bad options and clients', () => {
    expect(() => new ZookeeperStore({} as never)).toThrow(/node-zookeeper-client Client/);
    expect(() => new ZookeeperStore(client, { handshakeTimeout: 0 })).toThrow(/handshakeTimeout/);
    expect(() => new ZookeeperStore(client, { sessionTimeout: 5 } as never)).toThrow(/Unknown ZookeeperStore option "sessionTimeout"/);
  });
});

describe('zookeeper:// DSNs', () => {
  it('default the handshake timeout to half the session per host, from 500 ms to 5 s', () => {
    expect(defaultHandshakeTimeout(10_000, 1)).toBe(5_000);
    expect(defaultHandshakeTimeout(60_000, 1)).toBe(5_000);
    expect(defaultHandshakeTimeout(6_000, 3)).toBe(1_000);
    expect(defaultHandshakeTimeout(2_000, 5)).toBe(500);
  });

  it('builds a store that owns its session: close() ends it and frees its locks', async () => {
    const store = createStore(server.dsn('?session_timeout=4000&operation_timeout=3000'));
    expect(store).toBeInstanceOf(ZookeeperStore);
    const lock = new LockFactory(store).createLock('dsn-lock');
    expect(await lock.acquire()).toBe(true);
    const rival = new LockFactory(new ZookeeperStore(client)).createLock('dsn-lock');
    expect(await rival.acquire()).toBe(false);
    await store.close!();
    expect(await rival.acquire({ timeout: 5_000 })).toBe(true);
    await rival.release();
  });

  it('connects to an ensemble list and a chroot', async () => {
    await new Promise<void>((resolve) => admin.mkdirp('/chrooted/app', () => resolve()));
    const store = createStore(`zookeeper://127.0.0.1:1,127.0.0.1:${server.port}/chrooted/app?handshake_timeout=500`);
    const key = new Key('in-chroot');
    await store.save(key);
    expect(await getData('/chrooted/app/in-chroot')).not.toBeNull();
    await store.delete(key);
    await store.close!();
  });

  it.each([
    ['zookeeper://', /names no host/],
    ['zookeeper://user:pw@host:2181', /authentication is not supported/],
    ['zookeeper://host:99999', /must be 1 to 65535/],
    ['zookeeper://host:2181,/x', /"" is not a host\[:port\]/],
    ['zookeeper://host:2181/', /chroot "\/" must be an absolute node path/],
    ['zookeeper://host:2181/a/', /chroot "\/a\/"/],
    ['zookeeper://host:2181?session=5', /unknown option "session"/],
    ['zookeeper://host:2181?session_timeout=soon', /"session_timeout" must be a positive number of ms, got "soon"/],
    ['zookeeper:host', /not a zookeeper:\/\/ URL/],
  ])('refuses %s', (dsn, message) => {
    expect(() => createStore(dsn)).toThrow(InvalidArgumentError);
    expect(() => createStore(dsn)).toThrow(message);
  });

  it('never shows a password', () => {
    expect(() => createStore('zookeeper://user:hunter2@host')).not.toThrow(/hunter2/);
  });
});
