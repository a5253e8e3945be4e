// Blocking waits of ONE key take turns. Two overlapping acquire(true)/acquireRead(true)
// calls on one Lock share its Key, but each would get a kernel grant of its own (its own
// descriptor or semaphore hold), and a key can keep only one: the other grant leaked
// until the process exited (issue 9, item 7). Worse, the second wait would queue behind
// the first one's grant, i.e. behind itself. So a key's second blocking call waits for
// the first to finish (honouring its own timeout and signal meanwhile), then finds the
// lock already held in the mode it wants, or converts it.
import { LockConflictedError } from '../../core/errors.js';
import type { Key } from '../../core/key.js';
import type { WaitDone, WaitOptions } from '../../core/store.js';
import { setLongTimeout } from '../../core/wait.js';

export class KeyTurns {
  // The end of the last turn taken per key; these promises never reject.
  readonly #tails = new WeakMap<Key, Promise<void>>();

  /** Whether a blocking call of `key` is in progress (or queued). */
  busy(key: Key): boolean {
    return this.#tails.has(key);
  }

  /** Runs `fn` once the key's earlier blocking calls are done, with what is left of `wait`. */
  run<T>(key: Key, wait: WaitOptions, describe: string, fn: (wait: WaitOptions) => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    if (previous) return this.#runAfter(previous, key, wait, describe, fn);
    // The common case, nobody else's turn: `fn`'s own promise, with no turn in between
    // (a hand-off resumes that much sooner); the turn ends when it settles.
    let result: Promise<T>;
    try {
      result = fn(wait);
    } catch (error) {
      result = Promise.reject(error);
    }
    const end = () => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
    const tail: Promise<void> = result.then(end, end);
    this.#tails.set(key, tail);
    return result;
  }

  /**
   * run() for a call without limits that reports by callback (ImmediateStore.waitNow):
   * when no earlier blocking call of the key is in progress, `fn` runs now and its turn
   * ends the moment it calls back, so `done` hears the outcome in that same turn. Else
   * it takes its turn behind the earlier calls, as run() does.
   */
  runNow(key: Key, describe: string, fn: (wait: WaitOptions, done: WaitDone) => void, done: WaitDone): void {
    if (this.#tails.has(key)) {
      this.run(key, {}, describe, (left) => settledBy((settle) => fn(left, settle))).then(() => done(null), done);
      return;
    }
    let endTurn!: () => void;
    const tail = new Promise<void>((resolve) => (endTurn = resolve));
    this.#tails.set(key, tail);
    let ended = false;
    const finish: WaitDone = (error) => {
      if (ended) return;
      ended = true;
      endTurn();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
      done(error);
    };
    try {
      fn({}, finish);
    } catch (error) {
      finish(error);
    }
  }

  async #runAfter<T>(previous: Promise<void>, key: Key, wait: WaitOptions, describe: string, fn: (wait: WaitOptions) => Promise<T>): Promise<T> {
    let done!: () => void;
    const turn = new Promise<void>((resolve) => (done = resolve));
    const tail = previous.then(() => turn);
    this.#tails.set(key, tail);
    try {
      return await fn(await waitForTurn(previous, wait, describe));
    } finally {
      done();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

/** Waits for `previous` within `wait`'s limits; resolves with the limits left over. */
function waitForTurn(previous: Promise<void>, wait: WaitOptions, describe: string): Promise<WaitOptions> {
  const { signal, timeout } = wait;
  const started = performance.now();
  return new Promise<WaitOptions>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let cancelTimer: (() => void) | undefined;
    const finish = (settle: () => void) => {
      cancelTimer?.();
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const onAbort = () => finish(() => reject(signal!.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined) {
      cancelTimer = setLongTimeout(
        () => finish(() => reject(new LockConflictedError(`Timed out after ${timeout} ms waiting for ${describe}.`))),
        timeout,
      );
    }
    void previous.then(() =>
      finish(() => {
        const left = timeout === undefined ? undefined : Math.max(0, timeout - (performance.now() - started));
        resolve({ ...(signal ? { signal } : {}), ...(left === undefined ? {} : { timeout: left }) });
      }),
    );
  });
}

/** A promise over a callback-style call: resolved by `done(null)`, rejected by `done(error)`. */
export function settledBy(call: (done: WaitDone) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    call((error) => (error === null ? resolve() : reject(error)));
  });
}
