// The connections blocking waits run on, one per wait in progress, kept a few seconds
// for the next wait: the same "wait, then try" scheme as PostgreSqlStore (see
// ../postgres/wait-connections.ts for why): GET_LOCK(name, timeout) on a wait
// connection, released in the same statement; the store then tries on its pinned
// session. Aborting: KILL QUERY from the pinned session (never blocked), and the wait
// connection is then discarded (closing it frees anything it might still hold).
import { LockStorageError } from '../../core/errors.js';
import { firstRow, type MysqlConnection } from './client.js';
import { FOREVER_SECONDS, KILL_QUERY, RELEASE_ALL, WAIT } from './queries.js';

const IDLE_MS = 5_000;

export class MysqlWaitConnections {
  readonly #open: () => Promise<MysqlConnection>;
  readonly #idle: MysqlConnection[] = [];
  readonly #busy = new Set<MysqlConnection>();
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  constructor(open: () => Promise<MysqlConnection>) {
    this.#open = open;
  }

  async waitUntilFree(name: string, timeout: number | undefined, signal: AbortSignal | undefined, control: MysqlConnection): Promise<'free' | 'timeout'> {
    signal?.throwIfAborted();
    const connection = await this.#take();
    if (signal?.aborted) {
      // Aborted while the connection was being opened: nothing was asked of the server.
      this.#giveBack(connection);
      throw signal.reason;
    }
    let aborted = false;
    let killing: Promise<unknown> = Promise.resolve();
    const onAbort = () => {
      aborted = true;
      const threadId = connection.threadId;
      killing = threadId === null ? Promise.resolve() : control.query(KILL_QUERY(threadId)).catch(() => this.#discard(connection));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const seconds = timeout === undefined ? FOREVER_SECONDS : Math.min(FOREVER_SECONDS, Math.max(0.001, timeout / 1000));
    try {
      const row = firstRow(await connection.query(WAIT, [name, seconds, name]));
      if (aborted) throw signal!.reason;
      const got = row?.got === null || row?.got === undefined ? null : Number(row.got);
      if (got === null) throw new Error('GET_LOCK returned NULL');
      this.#giveBack(connection);
      return got === 1 ? 'free' : 'timeout';
    } catch (error) {
      await killing;
      if (aborted) await letGo(connection);
      this.#discard(connection);
      if (aborted) throw signal!.reason;
      throw new LockStorageError(`MySQL failed while waiting for a lock: ${(error as Error)?.message ?? error}`, { cause: error });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    const all = [...this.#idle, ...this.#busy];
    this.#idle.length = 0;
    this.#busy.clear();
    await Promise.all(all.map((c) => end(c)));
  }

  async #take(): Promise<MysqlConnection> {
    if (this.#closed) throw new LockStorageError('This MysqlStore is closed.');
    let connection = this.#idle.pop();
    if (!connection) {
      try {
        connection = await this.#open();
      } catch (error) {
        throw new LockStorageError(`MySQL refused a connection for a lock wait: ${(error as Error)?.message ?? error}`, { cause: error });
      }
      connection.on('error', () => {});
    }
    this.#busy.add(connection);
    return connection;
  }

  #giveBack(connection: MysqlConnection): void {
    if (!this.#busy.delete(connection)) return;
    if (this.#closed) {
      void end(connection);
      return;
    }
    this.#idle.push(connection);
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      for (const c of this.#idle.splice(0)) void end(c);
    }, IDLE_MS);
    this.#idleTimer.unref();
  }

  #discard(connection: MysqlConnection): void {
    const wasBusy = this.#busy.delete(connection);
    const index = this.#idle.indexOf(connection);
    if (index !== -1) this.#idle.splice(index, 1);
    if (wasBusy || index !== -1) {
      // Destroyed, never released to a pool: a killed or aborted session must not be reused.
      try {
        if (typeof connection.destroy === 'function') connection.destroy();
        else void end(connection);
      } catch {
        // Already closed.
      }
    }
  }
}

/**
 * A KILL QUERY can land between GET_LOCK's grant and the RELEASE_LOCK beside it: let go
 * of anything before settling (twice, should a late KILL hit the first try), rather than
 * leave it to the server to notice the closed connection.
 */
async function letGo(connection: MysqlConnection): Promise<void> {
  for (let i = 0; i < 2; i++) {
    try {
      await connection.query(RELEASE_ALL);
      return;
    } catch {
      // Killed by the late KILL QUERY: once more.
    }
  }
}

/**
 * A pool's connection goes back to its pool. (mysql2's promise wrapper has a release()
 * even on a plain connection, where it throws: ask the connection it wraps.)
 */
function fromPool(connection: MysqlConnection): boolean {
  const inner = (connection as { connection?: { release?: unknown } }).connection;
  return typeof connection.release === 'function' && (inner === undefined || typeof inner.release === 'function');
}

async function end(connection: MysqlConnection): Promise<void> {
  try {
    if (fromPool(connection)) connection.release!();
    else await connection.end?.();
  } catch {
    // Already closed.
  }
}
