// What a local store keeps in a Key: a live native handle. Key.fromJSON() can put any
// JSON under the same state name (a forged `{ handle: {...}, shared: false }`), and a
// store that trusted it would answer "already held" with nothing locked (issue 9,
// item 4). So each store registers the state objects it creates in a WeakSet, which
// nothing outside this module can add to, and trusts only those: state that merely
// claims a handle is refused, never used. (Local keys are unserializable anyway: a
// genuine handle cannot leave its process.)
import { InvalidArgumentError } from '../../core/errors.js';
import { storageError } from './native-errors.js';
import type { Key } from '../../core/key.js';

/** A System V handle that can tell whether its set still holds what it took. */
interface VerifiableHandle {
  verify(): boolean;
  close(): void;
}

export class HeldStates<S extends object> {
  readonly #genuine = new WeakSet<object>();
  readonly #name: string;
  readonly #store: string;

  /** `name`: the key state name; `store`: the store class, for messages. */
  constructor(name: string, store: string) {
    this.#name = name;
    this.#store = store;
  }

  /**
   * The state a store of this kind created in `key`, undefined when there is none.
   * @throws InvalidArgumentError when `key` carries state no such store created.
   */
  get(key: Key): S | undefined {
    const state = key.getState<unknown>(this.#name);
    if (state === undefined || state === null) return undefined;
    if (typeof state === 'object' && this.#genuine.has(state)) return state as S;
    throw new InvalidArgumentError(
      `The key of the "${key.resource}" lock carries ${this.#store} state that no ${this.#store} in this process created ` +
        '(restored with Key.fromJSON(), or set by hand). Local locks live in the process that took them: create a new Lock instead.',
    );
  }

  /** Like get(), but state this store never created counts as nothing held. */
  peek(key: Key): S | undefined {
    const state = key.getState<unknown>(this.#name);
    return typeof state === 'object' && state !== null && this.#genuine.has(state) ? (state as S) : undefined;
  }

  set(key: Key, state: S): void {
    this.#genuine.add(state);
    key.setState(this.#name, state);
    key.markUnserializable();
  }

  /** Drops the key's state, genuine or not. */
  remove(key: Key): void {
    const state = key.getState<unknown>(this.#name);
    if (typeof state === 'object' && state !== null) this.#genuine.delete(state);
    key.removeState(this.#name);
  }

  /**
   * Whether the System V handle in `key` still holds what it took: a set removed behind
   * our back (`ipcrm`, logind's RemoveIPC at logout) or reset took it along. A lost
   * handle is dropped and closed (verify() forgot what it held), so `isAcquired()`
   * turns false and the holder's signal aborts.
   */
  heldIntact(this: HeldStates<S & VerifiableHandle>, key: Key): boolean {
    const handle = this.peek(key);
    if (!handle) return false;
    let intact: boolean;
    try {
      intact = handle.verify();
    } catch (error) {
      throw storageError(error, `Cannot check the "${key.resource}" semaphore`);
    }
    if (intact) return true;
    this.remove(key);
    handle.close();
    return false;
  }
}
