// What a local store keeps for a Key: a live native handle. It lives in a WeakMap of
// this module, not in the key's own state: Key.fromJSON() can put any JSON in a key's
// state (a forged `{ handle: {...}, shared: false }` under the store's name), and a store
// that trusted it would answer "already held" with nothing locked (issue 9, item 4).
// Nothing outside this module can write the map, so what it holds is genuine; state
// under the store's name in the key itself can only be forged, and is refused. (Local
// keys are unserializable anyway: a genuine handle cannot leave its process.) One
// WeakMap operation per get, set or remove: these run on every acquire and release.
import { InvalidArgumentError } from '../../core/errors.js';
import { storageError } from './native-errors.js';
import type { Key } from '../../core/key.js';

/** A System V handle that can tell whether its set still holds what it took. */
interface VerifiableHandle {
  verify(): boolean;
  close(): void;
}

export class HeldStates<S extends object> {
  readonly #held = new WeakMap<Key, S>();
  readonly #name: string;
  readonly #store: string;

  /** `name`: the key state name a forged key would carry; `store`: the store class, for messages. */
  constructor(name: string, store: string) {
    this.#name = name;
    this.#store = store;
  }

  /**
   * The state a store of this kind created for `key`, undefined when there is none.
   * @throws InvalidArgumentError when `key` carries state under this store's name, which
   * only Key.fromJSON() or a hand could have put there.
   */
  get(key: Key): S | undefined {
    const state = this.#held.get(key);
    if (state !== undefined) return state;
    if (!key.hasState(this.#name)) return undefined;
    throw new InvalidArgumentError(
      `The key of the "${key.resource}" lock carries ${this.#store} state that no ${this.#store} in this process created ` +
        '(restored with Key.fromJSON(), or set by hand). Local locks live in the process that took them: create a new Lock instead.',
    );
  }

  /** Like get(), but forged state counts as nothing held. */
  peek(key: Key): S | undefined {
    return this.#held.get(key);
  }

  set(key: Key, state: S): void {
    this.#held.set(key, state);
    key.markUnserializable();
  }

  /** Drops what `key` holds here; forged state in the key itself stays refused. */
  remove(key: Key): void {
    this.#held.delete(key);
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
