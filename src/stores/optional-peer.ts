// Client libraries are optional peer dependencies: loaded synchronously (so createStore()
// returns a store, not a promise of one) and only when a DSN needs them. A missing one is
// a NotSupportedError that says what to install.
import { createRequire } from 'node:module';
import { NotSupportedError } from '../core/errors.js';

const require = createRequire(import.meta.url);

/** The module `name`, or a NotSupportedError saying `what` needs it and how to install it. */
export function loadOptionalPeer<T>(name: string, what: string): T {
  try {
    return require(name) as T;
  } catch (cause) {
    throw new NotSupportedError(`${what} needs the ${name} package: run "npm install ${name}".`, { cause });
  }
}
