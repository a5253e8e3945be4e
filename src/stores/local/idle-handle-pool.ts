// Released native handles kept for reuse: reopening a lock file (open + fstat + close)
// costs about twice as much as the lock itself. An idle handle holds no lock, only a
// descriptor, and is closed after `idleMs` unused, so descriptors return to baseline.

interface Closable {
  close(): void;
}

interface Idle<H> {
  handle: H;
  since: number;
}

export interface IdleHandlePoolOptions {
  /** Idle handles kept per key. */
  perKey: number;
  /** Idle handles kept in all. */
  total: number;
  /** Milliseconds after which an unused handle is closed. */
  idleMs: number;
}

export class IdleHandlePool<H extends Closable> {
  readonly #idle = new Map<string, Idle<H>[]>();
  readonly #options: IdleHandlePoolOptions;
  #count = 0;
  #sweeper: ReturnType<typeof setInterval> | null = null;

  constructor(options: IdleHandlePoolOptions) {
    this.#options = options;
  }

  take(key: string): H | undefined {
    // An emptied list stays until the next sweep: a key taken and given back in turns
    // (every acquire and release of a lock) then costs no Map delete, set and new array.
    const entry = this.#idle.get(key)?.pop();
    if (!entry) return undefined;
    this.#count--;
    return entry.handle;
  }

  /** Keeps `handle` (which must hold nothing) for reuse, or closes it when full. */
  give(key: string, handle: H): void {
    let list = this.#idle.get(key);
    if ((list?.length ?? 0) >= this.#options.perKey || this.#count >= this.#options.total) {
      handle.close();
      return;
    }
    if (!list) this.#idle.set(key, (list = []));
    list.push({ handle, since: performance.now() });
    this.#count++;
    this.#startSweeper();
  }

  /** Closes every idle handle now. */
  clear(): void {
    for (const list of this.#idle.values()) for (const { handle } of list) handle.close();
    this.#idle.clear();
    this.#count = 0;
  }

  #startSweeper(): void {
    if (this.#sweeper) return;
    this.#sweeper = setInterval(() => this.#sweep(), this.#options.idleMs);
    // Idle handles must never keep a process alive.
    this.#sweeper.unref();
  }

  #sweep(): void {
    const cutoff = performance.now() - this.#options.idleMs;
    for (const [key, list] of this.#idle) {
      const keep = list.filter((entry) => entry.since > cutoff);
      for (const entry of list) if (entry.since <= cutoff) entry.handle.close();
      this.#count -= list.length - keep.length;
      if (keep.length > 0) this.#idle.set(key, keep);
      else this.#idle.delete(key);
    }
    if (this.#idle.size === 0 && this.#sweeper) {
      clearInterval(this.#sweeper);
      this.#sweeper = null;
    }
  }
}
