// The child side of bench/harness/children.ts: JSON messages to the parent, failures
// reported as {type: 'error'} rather than lost, and the standard argument list
// <library id> <LockEnv JSON> <args…>.
import type { LockEnv } from '../harness/workspace.js';
import { libraryById, type Library } from '../libraries/index.js';

export type Message = { type: string } & Record<string, unknown>;

export function send(message: Message): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

function report(error: unknown): void {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.send!({ type: 'error', message }, () => process.exit(1));
}
process.on('uncaughtException', report);
process.on('unhandledRejection', report);

/** Calls `handler` for each message from the parent; a throw goes back as an error. */
export function onMessage(handler: (message: Message) => unknown): void {
  process.on('message', (message: Message) => {
    Promise.resolve()
      .then(() => handler(message))
      .catch(report);
  });
}

export function childArgs(): { library: Library; env: LockEnv; rest: string[] } {
  const [id, env, ...rest] = process.argv.slice(2);
  return { library: libraryById(id!), env: JSON.parse(env!) as LockEnv, rest };
}

/** Reports and exits: for children the parent may kill at any moment anyway. */
export async function sendAndExit(message: Message): Promise<never> {
  await send(message);
  process.exit(0);
}

export const now = () => process.hrtime.bigint();
