// The pool of connections blocking waits run on, for PostgreSqlStore and MysqlStore:
// one per wait in progress, kept a few seconds for the next wait, then reaped.
//
// Why waits never run on the pinned session: a blocked statement there would hold up
// every other operation of the store (a release queued behind a wait). Why the wait
// holds nothing afterwards ("wait, then try"): a lock granted to a wait connection
// would belong to *that* session, so the store would spread its locks over many
// sessions and lose the single session that in-process bookkeeping (session-locks.ts),
// exists() and loss detection rely on. Each backend's wait statement (its SQL, how it
// is cancelled from the pinned session, how it lets go) lives in its own folder; what
// is the same everywhere lives here: taking and giving back, idle reaping, discarding
// a connection a cancel may have hit (never reused, so a late cancel can never hit a
// later statement), and the bookkeeping of an abort.
import { LockStorageError } from '../core/errors.js';

/** How long an idle wait connection is kept for the next wait. */
const IDLE_MS = 5_000;

/** A freshly opened client: it emits 'error'. */
interface Emitter {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** What the pool needs to know of one backend's wait connections. */
export interface WaitConnectionKind<Raw extends Emitter, W> {
  /** The store's class name, for "This … is closed.". */
  store: string;
  /** The server's name in messages ("PostgreSQL", "MySQL"). */
  server: string;
  /** Opens a new connected client (the store's DSN, or the user's factory). */
  open: () => Promise<Raw>;
  /** Readies a new client for waits; throws a LockStorageError (having closed `raw`) when it cannot. */
  prepare: (raw: Raw) => Promise<W>;
  /** Closes or releases `connection`; `destroy` when it must never be reused (a pool's client is destroyed). */
  end: (connection: W, destroy: boolean) => Promise<void>;
}

export class WaitConnectionPool<Raw extends Emitter, W> {
  readonly #kind: WaitConnectionKind<Raw, W>;
  readonly #idle: W[] = [];
  readonly #busy = new Set<W>();
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  constructor(kind: WaitConnectionKind<Raw, W>) {
    this.#kind = kind;
  }

  /**
   * A connection for one wait, yours until given back or discarded. Rejects with
   * `signal.reason` when aborted before or while it was opened (nothing was then asked
   * of the server, and the connection goes back for the next wait).
   */
  async take(signal: AbortSignal | undefined): Promise<W> {
    signal?.throwIfAborted();
    const connection = await this.#take();
    if (signal?.aborted) {
      this.giveBack(connection);
      throw signal.reason;
    }
    return connection;
  }

  /** Back to the idle list (or closed, after close()); reaped after IDLE_MS unused. */
  giveBack(connection: W): void {
    if (!this.#busy.delete(connection)) return;
    if (this.#closed) {
      void this.#kind.end(connection, false);
      return;
    }
    this.#idle.push(connection);
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      for (const c of this.#idle.splice(0)) void this.#kind.end(c, false);
    }, IDLE_MS);
    this.#idleTimer.unref();
  }

  /** Closed for good (destroyed, never released to a pool): a cancelled session must not be reused. Idempotent. */
  discard(connection: W): void {
    const wasBusy = this.#busy.delete(connection);
    const index = this.#idle.indexOf(connection);
    if (index !== -1) this.#idle.splice(index, 1);
    if (wasBusy || index !== -1) void this.#kind.end(connection, true);
  }

  /** Closes every wait connection; waits in progress fail. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    const all = [...this.#idle, ...this.#busy];
    this.#idle.length = 0;
    this.#busy.clear();
    await Promise.all(all.map((c) => this.#kind.end(c, false)));
  }

  /** Wraps a failure of the wait statement (not an abort) for the caller. */
  waitFailed(what: string, error: unknown): LockStorageError {
    return new LockStorageError(`${this.#kind.server} failed while waiting for ${what}: ${(error as Error)?.message ?? error}`, { cause: error });
  }

  async #take(): Promise<W> {
    const { store, server, open, prepare } = this.#kind;
    if (this.#closed) throw new LockStorageError(`This ${store} is closed.`);
    let connection = this.#idle.pop();
    if (connection === undefined) {
      let raw: Raw;
      try {
        raw = await open();
      } catch (error) {
        throw new LockStorageError(`${server} refused a connection for a lock wait: ${(error as Error)?.message ?? error}`, { cause: error });
      }
      // Nobody else listens on this connection: its errors must not crash the process.
      raw.on('error', () => {});
      connection = await prepare(raw);
    }
    this.#busy.add(connection);
    return connection;
  }
}

/**
 * An abort of one wait in progress: `cancel` (run from the pinned session, which is never
 * blocked) stops the wait statement; `cancelling` settles once it has been asked.
 */
export class AbortWatch {
  aborted = false;
  cancelling: Promise<unknown> = Promise.resolve();
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: () => void;

  constructor(signal: AbortSignal | undefined, cancel: () => Promise<unknown>) {
    this.#signal = signal;
    this.#onAbort = () => {
      this.aborted = true;
      this.cancelling = cancel();
    };
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** The abort's reason (only once aborted). */
  get reason(): unknown {
    return this.#signal!.reason;
  }

  dispose(): void {
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}
