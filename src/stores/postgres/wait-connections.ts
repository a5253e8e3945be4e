// PostgreSQL's blocking wait, on a connection of the shared pool (../wait-connections.ts
// says why waits run beside the pinned session and hold nothing afterwards: "wait, then
// try"). The waiter waits for a transaction lock, bounded by a transaction-local
// lock_timeout, and lets go at once; the store then tries on the pinned session, and
// waits again (a new round, still woken by the server) in the rare case another process
// got in between. Aborting: pg_cancel_backend from the pinned session (never blocked),
// and the wait connection is then discarded, so a late cancel can never hit a later
// statement.
import { LockStorageError } from '../../core/errors.js';
import type { LockMode } from '../session-locks.js';
import { AbortWatch, WaitConnectionPool } from '../wait-connections.js';
import { firstRow, sqlState, type PostgresClient } from './client.js';
import { BACKEND_PID, CANCEL, LOCK_NOT_AVAILABLE, waitStatement } from './queries.js';

interface WaitConnection {
  client: PostgresClient;
  /** Its backend's pid, for pg_cancel_backend. */
  pid: number;
}

export class PgWaitConnections {
  readonly #pool: WaitConnectionPool<PostgresClient, WaitConnection>;

  /** `open` gives a new connected client (the store's DSN, or the user's factory). */
  constructor(open: () => Promise<PostgresClient>) {
    this.#pool = new WaitConnectionPool({ store: 'PostgreSqlStore', server: 'PostgreSQL', open, prepare, end: (c, destroy) => end(c.client, destroy) });
  }

  /**
   * Waits until `id` could be granted in `mode`. `control` is the pinned session,
   * used to cancel the wait from outside.
   */
  async waitUntilFree(
    id: number,
    mode: LockMode,
    timeout: number | undefined,
    signal: AbortSignal | undefined,
    control: PostgresClient,
  ): Promise<'free' | 'timeout'> {
    const pool = this.#pool;
    const connection = await pool.take(signal);
    const abort = new AbortWatch(signal, () => control.query(CANCEL, [connection.pid]).catch(() => pool.discard(connection)));
    try {
      await connection.client.query(waitStatement(id, mode, timeout));
      if (abort.aborted) throw abort.reason;
      pool.giveBack(connection);
      return 'free';
    } catch (error) {
      if (!abort.aborted && sqlState(error) === LOCK_NOT_AVAILABLE) {
        await rollback(pool, connection);
        pool.giveBack(connection);
        return 'timeout';
      }
      // The transaction lock goes with the transaction: roll back before settling, so
      // that nothing of this wait is held once the caller hears of it.
      await rollback(pool, connection);
      await abort.cancelling;
      pool.discard(connection);
      if (abort.aborted) throw abort.reason;
      throw pool.waitFailed('an advisory lock', error);
    } finally {
      abort.dispose();
      if (abort.aborted) pool.discard(connection);
    }
  }

  /** Closes every wait connection; waits in progress fail. */
  async close(): Promise<void> {
    await this.#pool.close();
  }
}

/** A new wait connection knows its backend's pid (to be cancelled by). */
async function prepare(client: PostgresClient): Promise<WaitConnection> {
  try {
    return { client, pid: Number(firstRow(await client.query(BACKEND_PID))?.pid) };
  } catch (error) {
    void end(client);
    throw new LockStorageError(`PostgreSQL failed to prepare a lock wait: ${(error as Error)?.message ?? error}`, { cause: error });
  }
}

async function rollback(pool: WaitConnectionPool<PostgresClient, WaitConnection>, connection: WaitConnection): Promise<void> {
  try {
    await connection.client.query('ROLLBACK');
  } catch {
    pool.discard(connection); // closing the session ends the transaction too
  }
}

async function end(client: PostgresClient, destroy = false): Promise<void> {
  try {
    if (typeof client.release === 'function') client.release(destroy);
    else await client.end?.();
  } catch {
    // Already closed.
  }
}
