// How SqlStore's waiters learn that a lock was released.
// - Everywhere: a release by this store wakes this store's waiters of that key at once.
// - PostgreSQL, when the client is a Pool (or the store was made from a DSN): one LISTEN
//   connection per store, taken from the pool when a wait starts and given back shortly
//   after the last waiter leaves; releases by any lockwright process NOTIFY the key id.
// Notifications only speed waits up: a waiter whose LISTEN failed, or whose holder does
// not NOTIFY (Symfony's PHP PdoStore), still polls (see ../wait-queue.ts).
import type { Listening, ReleaseListener } from '../wait-queue.js';
import type { PgListenClient, PgNotification } from './client.js';

/** Keeps the connection for waits that follow each other closely (a worker loop). */
const LINGER_MS = 1_000;
/** A LISTEN taking longer than this does not hold the first attempt back. */
const LISTEN_WAIT_MS = 500;


export class ReleaseNotifier implements ReleaseListener {
  protected readonly listeners = new Map<string, Set<() => void>>();

  /** Whether releases by other processes reach this notifier (for the default poll). */
  get notified(): boolean {
    return false;
  }

  listen(id: string, onRelease: () => void): Listening {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    const listener = () => onRelease();
    set.add(listener);
    const own = set;
    return {
      ready: this.ready(),
      close: () => {
        if (!own.delete(listener) || own.size > 0) return;
        if (this.listeners.get(id) === own) this.listeners.delete(id);
        if (this.listeners.size === 0) this.idle();
      },
    };
  }

  /** `id` was released (by this store, or announced by the database). */
  released(id: string): void {
    const set = this.listeners.get(id);
    if (set) for (const listener of [...set]) listener();
  }

  close(): void {}

  protected ready(): Promise<void> {
    return Promise.resolve();
  }

  protected idle(): void {}
}

/** LISTEN on the table's channel; the payload of a notification is the released key id. */
export class PgReleaseNotifier extends ReleaseNotifier {
  readonly #open: () => Promise<PgListenClient>;
  readonly #channel: string;
  #connection: Promise<PgListenClient | null> | null = null;
  #linger: ReturnType<typeof setTimeout> | null = null;

  constructor(open: () => Promise<PgListenClient>, channel: string) {
    super();
    this.#open = open;
    this.#channel = channel;
  }

  override get notified(): boolean {
    return true;
  }

  /** Whether a LISTEN connection is open or opening (for tests and diagnostics). */
  get connected(): boolean {
    return this.#connection !== null;
  }

  protected override ready(): Promise<void> {
    if (this.#linger !== null) {
      clearTimeout(this.#linger);
      this.#linger = null;
    }
    this.#connection ??= this.#connect();
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
      this.#connection.then(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, LISTEN_WAIT_MS))),
    ]).finally(() => clearTimeout(timer));
  }

  async #connect(): Promise<PgListenClient | null> {
    let client: PgListenClient | undefined;
    try {
      client = await this.#open();
      const connection = client;
      // A lost connection ends listening; the next wait opens another. Never an unheard
      // 'error' event (pg would crash the process).
      const drop = () => {
        if (this.#current === connection) this.#forget(connection, true);
      };
      connection.on('error', drop);
      connection.on('end', drop);
      connection.on('notification', (message: PgNotification) => {
        if (message.channel === this.#channel && message.payload) this.released(message.payload);
      });
      await connection.query(`LISTEN "${this.#channel}"`);
      this.#current = connection;
      return connection;
    } catch {
      // No LISTEN: waits poll. Let the next wait try again.
      if (client) this.#giveBack(client, true);
      this.#connection = null;
      return null;
    }
  }

  #current: PgListenClient | null = null;

  protected override idle(): void {
    if (this.#linger !== null) return;
    this.#linger = setTimeout(() => {
      this.#linger = null;
      if (this.listeners.size === 0) this.close();
    }, LINGER_MS);
    this.#linger.unref?.();
  }

  /** Gives the LISTEN connection back now (waits in flight fall back to polling). */
  override close(): void {
    if (this.#linger !== null) clearTimeout(this.#linger);
    this.#linger = null;
    const pending = this.#connection;
    this.#connection = null;
    void pending?.then((connection) => {
      if (connection) this.#forget(connection, false);
    });
  }

  #forget(connection: PgListenClient, broken: boolean): void {
    if (this.#current === connection) {
      this.#current = null;
      this.#connection = null;
    }
    if (broken) {
      this.#giveBack(connection, true);
      return;
    }
    // UNLISTEN before the connection goes back to the pool, where others use it.
    connection.query('UNLISTEN *').then(
      () => this.#giveBack(connection, false),
      () => this.#giveBack(connection, true),
    );
  }

  #giveBack(connection: PgListenClient, destroy: boolean): void {
    connection.removeAllListeners?.('notification');
    // Errors after this point are nobody's: keep one quiet listener so pg does not crash.
    connection.removeAllListeners?.('error');
    connection.on('error', () => {});
    try {
      connection.release?.(destroy);
    } catch {
      // Released twice (the pool ended first): nothing left to give back.
    }
  }
}
