// Scenarios the advisory-lock stores (PostgreSqlStore, MysqlStore) share word for word,
// written once: what is the server's own (how a wait shows on it, the lock's name or id)
// is given by the test file, the assertions are here. Each is called from inside an it().
import { expect } from 'vitest';
import { InvalidArgumentError, Key, LockFactory, LockStorageError, createStore, type BlockingStore, type PersistingStore } from '../../src/index.js';
import { until } from './postgres.js';

type AdvisoryStore = BlockingStore & PersistingStore & { close(): Promise<void> };

/** How the server shows the waits on one resource. */
export interface ServerWaits<W> {
  /** The waits on `resource` in progress now (as the server lists them). */
  on(resource: string): Promise<W[]>;
  /** Asserts that `later` is `first` still: the same connection, in the same statement, its clock running. */
  same(first: W, later: W): void;
  /** Whether the connection `first` ran on is closed. */
  gone(first: W): Promise<boolean>;
}

/**
 * A wait is one statement on the server, not polling: after `quietMs` the same statement
 * still waits; the release wakes it; close() closes the wait connection too.
 */
export async function expectOneStatementWait<W>(
  holder: AdvisoryStore,
  waiter: AdvisoryStore,
  resource: string,
  waits: ServerWaits<W>,
  quietMs: number,
  checkFirst: (first: W) => void = () => {},
): Promise<void> {
  const held = new Key(resource);
  await holder.save(held);
  const key = new Key(resource);
  const waiting = waiter.waitAndSave(key);
  expect(await until(async () => (await waits.on(resource)).length === 1)).toBe(true);
  const [first] = await waits.on(resource);
  checkFirst(first!);
  await new Promise((r) => setTimeout(r, quietMs));
  // Still the same wait, quietMs later: nobody re-asked.
  const [later] = await waits.on(resource);
  waits.same(first!, later!);
  await holder.delete(held);
  await waiting;
  expect(await waiter.exists(key)).toBe(true);
  await waiter.delete(key);
  await Promise.all([holder.close(), waiter.close()]);
  // close() closed the wait connection too (kept idle for the next wait until then).
  expect(await until(() => waits.gone(first!))).toBe(true);
}

/** While a wait is pending on the server, the same store takes and releases other locks as if nothing waited. */
export async function expectWaitNeverBlocksStore(
  holder: AdvisoryStore,
  store: AdvisoryStore,
  resource: string,
  waitsOn: (resource: string) => Promise<unknown[]>,
): Promise<void> {
  const held = new Key(resource);
  await holder.save(held);
  const factory = new LockFactory(store);
  const waiting = factory.createLock(resource).acquire(true);
  expect(await until(async () => (await waitsOn(resource)).length === 1)).toBe(true);
  for (let i = 0; i < 20; i++) {
    const other = factory.createLock(`${resource}-free-${i}`);
    expect(await other.acquire()).toBe(true);
    expect(await other.isAcquired()).toBe(true);
    await other.release();
  }
  await holder.delete(held);
  expect(await waiting).toBe(true);
  await Promise.all([holder.close(), store.close()]);
}

/** createStore(dsn) throws an InvalidArgumentError for each of `dsns`, whose message never matches `secret`. */
export function expectBadDsns(dsns: string[], secret: RegExp): void {
  for (const dsn of dsns) {
    let error: unknown;
    try {
      createStore(dsn);
    } catch (e) {
      error = e;
    }
    expect(error, dsn).toBeInstanceOf(InvalidArgumentError);
    expect(String((error as Error).message)).not.toMatch(secret);
  }
}

/** A store whose server refuses the connection fails a save with a LockStorageError that never shows `secret`. */
export async function expectRefusedWithoutSecret(store: AdvisoryStore, resource: string, secret: RegExp): Promise<void> {
  const error = await store.save(new Key(resource)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(LockStorageError);
  expect(String((error as Error).message)).not.toMatch(secret);
  await store.close();
}

/**
 * A DSN store whose session the server ends (`endSession`, given the resource held):
 * the Lock's signal aborts, isAcquired() is false, the next acquire reconnects, and
 * nothing went uncaught (`uncaught`, from lost-watch.ts).
 */
export async function expectDsnStoreReconnects(
  store: AdvisoryStore,
  resource: string,
  endSession: (resource: string) => Promise<void>,
  uncaught: unknown[],
): Promise<void> {
  const lock = new LockFactory(store).createLock(resource);
  expect(await lock.acquire()).toBe(true);
  const signal = lock.signal;
  await endSession(resource);
  expect(await until(() => signal.aborted)).toBe(true);
  expect(await lock.isAcquired()).toBe(false);
  expect(await lock.acquire()).toBe(true);
  await lock.release();
  await store.close();
  expect(uncaught).toEqual([]);
}
