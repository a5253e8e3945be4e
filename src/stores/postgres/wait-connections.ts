// The connections blocking waits run on, one per wait in progress, kept a few seconds
// for the next wait. Why not wait on the pinned session: a blocked statement there
// would hold up every other operation of the store (a release queued behind a wait).
// Why the wait holds nothing afterwards ("wait, then try"): a lock granted to a wait
// connection would belong to *that* session, so the store would spread its locks over
// many sessions and lose the single session that in-process bookkeeping, exists() and
// loss detection rely on. The waiter therefore waits for a transaction lock and lets
// go at once; the store then tries on the pinned session, and waits again (a new
// round, still woken by the server) in the rare case another process got in between.
// Aborting: pg_cancel_backend from the pinned session (never blocked), and the wait
// connection is then discarded, so a late cancel can never hit a later statement.
import { LockStorageError } from '../../core/errors.js';
import type { LockMode } from '../session-locks.js';
import { firstRow, sqlState, type PostgresClient } from './client.js';
import { BACKEND_PID, CANCEL, LOCK_NOT_AVAILABLE, waitStatement } from './queries.js';

interface WaitConnection {
  client: PostgresClient;
  pid: number;
}

/** How long an idle wait connection is kept for the next wait. */
const IDLE_MS = 5_000;

export class PgWaitConnections {
  readonly #open: () => Promise<PostgresClient>;
  readonly #idle: WaitConnection[] = [];
  readonly #busy = new Set<WaitConnection>();
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  /** `open` gives a new connected client (the store's DSN, or the user's factory). */
  constructor(open: () => Promise<PostgresClient>) {
    this.#open = open;
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
    signal?.throwIfAborted();
    const connection = await this.#take();
    if (signal?.aborted) {
      // Aborted while the connection was being opened: nothing was asked of the server.
      this.#giveBack(connection);
      throw signal.reason;
    }
    let aborted = false;
    let cancelling: Promise<unknown> = Promise.resolve();
    const onAbort = () => {
      aborted = true;
      cancelling = control.query(CANCEL, [connection.pid]).catch(() => this.#discard(connection));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await connection.client.query(waitStatement(id, mode, timeout));
      if (aborted) throw signal!.reason;
      this.#giveBack(connection);
      return 'free';
    } catch (error) {
      if (!aborted && sqlState(error) === LOCK_NOT_AVAILABLE) {
        await this.#rollback(connection);
        this.#giveBack(connection);
        return 'timeout';
      }
      // The transaction lock goes with the transaction: roll back before settling, so
      // that nothing of this wait is held once the caller hears of it.
      await this.#rollback(connection);
      await cancelling;
      this.#discard(connection);
      if (aborted) throw signal!.reason;
      throw new LockStorageError(`PostgreSQL failed while waiting for an advisory lock: ${(error as Error)?.message ?? error}`, { cause: error });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (aborted) this.#discard(connection);
    }
  }

  /** Closes every wait connection; waits in progress fail. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    const all = [...this.#idle, ...this.#busy];
    this.#idle.length = 0;
    this.#busy.clear();
    await Promise.all(all.map((c) => end(c.client)));
  }

  async #take(): Promise<WaitConnection> {
    if (this.#closed) throw new LockStorageError('This PostgreSqlStore is closed.');
    let connection = this.#idle.pop();
    if (!connection) {
      let client: PostgresClient;
      try {
        client = await this.#open();
      } catch (error) {
        throw new LockStorageError(`PostgreSQL refused a connection for a lock wait: ${(error as Error)?.message ?? error}`, { cause: error });
      }
      // Nobody else listens on this connection: its errors must not crash the process.
      client.on('error', () => {});
      try {
        const pid = Number(firstRow(await client.query(BACKEND_PID))?.pid);
        connection = { client, pid };
      } catch (error) {
        void end(client);
        throw new LockStorageError(`PostgreSQL failed to prepare a lock wait: ${(error as Error)?.message ?? error}`, { cause: error });
      }
    }
    this.#busy.add(connection);
    return connection;
  }

  #giveBack(connection: WaitConnection): void {
    if (!this.#busy.delete(connection)) return;
    if (this.#closed) {
      void end(connection.client);
      return;
    }
    this.#idle.push(connection);
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      for (const c of this.#idle.splice(0)) void end(c.client);
    }, IDLE_MS);
    this.#idleTimer.unref();
  }

  #discard(connection: WaitConnection): void {
    const wasBusy = this.#busy.delete(connection);
    const index = this.#idle.indexOf(connection);
    if (index !== -1) this.#idle.splice(index, 1);
    if (wasBusy || index !== -1) void end(connection.client, true);
  }

  async #rollback(connection: WaitConnection): Promise<void> {
    try {
      await connection.client.query('ROLLBACK');
    } catch {
      this.#discard(connection); // closing the session ends the transaction too
    }
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
