// MysqlStore waits are the server's: one GET_LOCK statement per wait (seen in the
// process list, its clock running, never restarted), bounded by GET_LOCK's timeout,
// aborted with KILL QUERY, leaving nothing held, and never in the way of the store's
// other operations; a waiter in another process resumes on release; killing the
// holder's connection aborts lock.signal.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Key, LockFactory, LockStorageError, MysqlStore } from '../../../src/index.js';
import { expectDsnStoreReconnects, expectOneStatementWait, expectWaitNeverBlocksStore, type ServerWaits } from '../../helpers/advisory-stores.js';
import { LockHolder } from '../../helpers/child.js';
import { watchLost } from '../../helpers/lost-watch.js';
import { MY_DSN, myConnection, usedBy, waitingFor } from '../../helpers/mysql.js';
import { until } from '../../helpers/postgres.js';

const script = fileURLToPath(new URL('../../fixtures/advisory-lock-holder.mjs', import.meta.url));
const admin = await myConnection();
const sha = (r: string) => createHash('sha256').update(r).digest('hex');
const { lost, uncaught } = watchLost();

type Wait = Awaited<ReturnType<typeof waitingFor>>[number];
/** GET_LOCK waits in the process list: same thread, same statement, its clock running. */
const getLockWaits: ServerWaits<Wait> = {
  on: (resource) => waitingFor(admin, sha(resource)),
  same(first, later) {
    expect(later.id).toBe(first.id);
    expect(Number(later.time)).toBeGreaterThan(Number(first.time) + 1_000);
  },
  async gone(first) {
    const [rows] = await admin.query('SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ?', [first.id]);
    return (rows as unknown[]).length === 0;
  },
};

describe('MysqlStore waits', () => {
  it('waits with one GET_LOCK on the server, not by polling', async () => {
    await expectOneStatementWait(new MysqlStore(await myConnection()), new MysqlStore(await myConnection()), 'my-one-statement', getLockWaits, 1_200);
  });

  it('times out and aborts leaving nothing held or waiting', async () => {
    const holder = new MysqlStore(await myConnection());
    const waiter = new MysqlStore(await myConnection());
    const resource = 'my-timeout-abort';
    const held = new Key(resource);
    await holder.save(held);
    const holderId = await usedBy(admin, sha(resource));
    const lock = new LockFactory(waiter).createLock(resource);
    const started = performance.now();
    expect(await lock.acquire({ timeout: 300 })).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(await waitingFor(admin, sha(resource))).toEqual([]);
    const controller = new AbortController();
    const reason = new Error('enough');
    // Handled at once: the rejection may come before the expect below is reached.
    const waiting = lock.acquire({ signal: controller.signal }).catch((e: unknown) => e);
    expect(await until(async () => (await waitingFor(admin, sha(resource))).length === 1)).toBe(true);
    controller.abort(reason);
    await holder.delete(held);
    expect(await waiting).toBe(reason);
    expect(await waitingFor(admin, sha(resource))).toEqual([]);
    expect(await usedBy(admin, sha(resource))).toBeNull();
    expect(holderId).not.toBeNull();
    await Promise.all([holder.close(), waiter.close()]);
  });

  it('never lets a pending wait hold up other operations of the same store', async () => {
    await expectWaitNeverBlocksStore(new MysqlStore(await myConnection()), new MysqlStore(await myConnection()), 'my-blocked', getLockWaits.on);
  });

  it('wakes a waiter in another process on release', async () => {
    const child = new LockHolder(script);
    await child.ready;
    const resource = 'my-xp-wakeup';
    const store = new MysqlStore(await myConnection());
    const key = new Key(resource);
    await store.save(key);
    expect((await child.send({ cmd: 'acquire', dsn: MY_DSN, resource })).acquired).toBe(false);
    const waiting = child.send({ cmd: 'acquire', dsn: MY_DSN, resource, blocking: true });
    expect(await until(async () => (await waitingFor(admin, sha(resource))).length === 1)).toBe(true);
    const releasedAt = process.hrtime.bigint();
    await store.delete(key);
    const reply = await waiting;
    expect(reply.acquired).toBe(true);
    expect(Number(BigInt(reply.at!) - releasedAt) / 1e6).toBeLessThan(1_000);
    expect(await store.exists(new Key(resource))).toBe(false);
    expect(await new LockFactory(store).createLock(resource).acquire()).toBe(false);
    await child.send({ cmd: 'release' });
    await child.send({ cmd: 'exit' });
    await store.close();
  });
});

describe('MysqlStore when the server kills the session', () => {
  it('aborts the signal of every lock held on it, and isAcquired() is false', async () => {
    const connection = await myConnection();
    const factory = new LockFactory(new MysqlStore(connection));
    const locks = [factory.createLock('my-lost-a'), factory.createLock('my-lost-b')];
    for (const lock of locks) expect(await lock.acquire()).toBe(true);
    const signals = locks.map((l) => l.signal);
    await admin.query(`KILL ${connection.threadId}`);
    expect(await until(() => signals.every((s) => s.aborted))).toBe(true);
    for (const s of signals) expect(s.reason).toBeInstanceOf(LockStorageError);
    expect(lost.filter((m) => locks.includes(m.lock as never))).toHaveLength(2);
    for (const lock of locks) expect(await lock.isAcquired()).toBe(false);
    expect(uncaught).toEqual([]);
  });

  it('on a DSN store: aborts the signal, then reconnects for the next acquire', async () => {
    await expectDsnStoreReconnects(
      new MysqlStore(MY_DSN),
      'my-lost-dsn',
      async (resource) => {
        await admin.query(`KILL ${await usedBy(admin, sha(resource))}`);
      },
      uncaught,
    );
  });
});
