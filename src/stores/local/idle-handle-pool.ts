// Released native handles kept for reuse: reopening a lock file (open + fstat + close)
// costs about twice as much as the lock itself. An idle handle holds no lock, only a
// descriptor, and is closed after idleMs to 2 × idleMs unused, so descriptors return to
// baseline.

interface Closable {
  close(): void;
}

/** A path's idle handles, oldest first, with the sweep generation each was given in. */
interface Idle<H> {
  handles: H[];
  generations: number[];
}

export interface IdleHandlePoolOptions {
  /** Idle handles kept per key. */
  perKey: number;
  /** Idle handles kept in all. */
  total: number;
  /** An unused handle is closed after between idleMs and twice that (ms). */
  idleMs: number;
}

/**
 * take() and give() run on every acquire and release of a local lock, so they allocate
 * nothing and read no clock: a path's arrays stay in the map while the sweeper runs,
 * and age is counted in sweeps (a handle given before the previous sweep has been idle
 * at least idleMs).
 */
export class IdleHandlePool<H extends Closable> {
  readonly #idle = new Map<string, Idle<H>>();
  readonly #options: IdleHandlePoolOptions;
  #count = 0;
  #generation = 0;
  #sweeper: ReturnType<typeof setInterval> | null = null;

  constructor(options: IdleHandlePoolOptions) {
    this.#options = options;
  }

  take(key: string): H | undefined {
    const idle = this.#idle.get(key);
    if (idle === undefined || idle.handles.length === 0) return undefined;
    idle.generations.pop();
    this.#count--;
    return idle.handles.pop();
  }

  /** Keeps `handle` (which must hold nothing) for reuse, or closes it when full. */
  give(key: string, handle: H): void {
    let idle = this.#idle.get(key);
    if ((idle?.handles.length ?? 0) >= this.#options.perKey || this.#count >= this.#options.total) {
      handle.close();
      return;
    }
    if (idle === undefined) this.#idle.set(key, (idle = { handles: [], generations: [] }));
    idle.handles.push(handle);
    idle.generations.push(this.#generation);
    this.#count++;
    if (this.#sweeper === null) this.#startSweeper();
  }

  /** Closes every idle handle now. */
  clear(): void {
    for (const { handles } of this.#idle.values()) for (const handle of handles) handle.close();
    this.#idle.clear();
    this.#count = 0;
  }

  #startSweeper(): void {
    this.#sweeper = setInterval(() => this.#sweep(), this.#options.idleMs);
    // Idle handles must never keep a process alive.
    this.#sweeper.unref();
  }

  #sweep(): void {
    const stale = this.#generation; // given before this sweep: idle for a whole interval at the next
    this.#generation++;
    for (const [key, idle] of this.#idle) {
      // Oldest first: the stale ones are a prefix.
      let old = 0;
      while (old < idle.generations.length && idle.generations[old]! < stale) old++;
      for (let i = 0; i < old; i++) idle.handles[i]!.close();
      idle.handles.splice(0, old);
      idle.generations.splice(0, old);
      this.#count -= old;
      if (idle.handles.length === 0 && old === 0) this.#idle.delete(key); // unused for a whole interval
    }
    if (this.#count === 0 && this.#idle.size === 0 && this.#sweeper) {
      clearInterval(this.#sweeper);
      this.#sweeper = null;
    }
  }
}
