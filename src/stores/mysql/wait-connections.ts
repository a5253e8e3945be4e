// MySQL's blocking wait, on a connection of the shared pool (../wait-connections.ts says
// why waits run beside the pinned session and hold nothing afterwards: "wait, then
// try"): GET_LOCK(name, timeout) on a wait connection, released in the same statement;
// the store then tries on its pinned session. Aborting: KILL QUERY from the pinned
// session (never blocked), and the wait connection is then discarded (closing it frees
// anything it might still hold).
import { AbortWatch, WaitConnectionPool } from '../wait-connections.js';
import { firstRow, type MysqlConnection } from './client.js';
import { FOREVER_SECONDS, KILL_QUERY, RELEASE_ALL, WAIT } from './queries.js';

export class MysqlWaitConnections {
  readonly #pool: WaitConnectionPool<MysqlConnection, MysqlConnection>;

  /** `open` gives a new connected connection (the store's DSN, or the user's factory). */
  constructor(open: () => Promise<MysqlConnection>) {
    this.#pool = new WaitConnectionPool({ store: 'MysqlStore', server: 'MySQL', open, prepare: async (c) => c, end });
  }

  /**
   * Waits until `name` could be granted. `control` is the pinned session, used to kill
   * the wait from outside.
   */
  async waitUntilFree(name: string, timeout: number | undefined, signal: AbortSignal | undefined, control: MysqlConnection): Promise<'free' | 'timeout'> {
    const pool = this.#pool;
    const connection = await pool.take(signal);
    const abort = new AbortWatch(signal, () => {
      const threadId = connection.threadId;
      return threadId === null ? Promise.resolve() : control.query(KILL_QUERY(threadId)).catch(() => pool.discard(connection));
    });
    const seconds = timeout === undefined ? FOREVER_SECONDS : Math.min(FOREVER_SECONDS, Math.max(0.001, timeout / 1000));
    try {
      const row = firstRow(await connection.query(WAIT, [name, seconds, name]));
      if (abort.aborted) throw abort.reason;
      const got = row?.got === null || row?.got === undefined ? null : Number(row.got);
      if (got === null) throw new Error('GET_LOCK returned NULL');
      pool.giveBack(connection);
      return got === 1 ? 'free' : 'timeout';
    } catch (error) {
      await abort.cancelling;
      if (abort.aborted) await letGo(connection);
      pool.discard(connection);
      if (abort.aborted) throw abort.reason;
      throw pool.waitFailed('a lock', error);
    } finally {
      abort.dispose();
    }
  }

  /** Closes every wait connection; waits in progress fail. */
  async close(): Promise<void> {
    await this.#pool.close();
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

/** Released to its pool or ended; `destroy`: destroyed (a killed session must not be reused). */
async function end(connection: MysqlConnection, destroy: boolean): Promise<void> {
  try {
    if (destroy && typeof connection.destroy === 'function') connection.destroy();
    else if (fromPool(connection)) connection.release!();
    else await connection.end?.();
  } catch {
    // Already closed.
  }
}
