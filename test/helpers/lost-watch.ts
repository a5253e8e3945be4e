// Records, for one test file, every "lost" diagnostics message and every uncaught
// exception or unhandled rejection, so that fault tests can assert that a lost session
// was published and that nothing crashed. Subscribes in beforeAll, unsubscribes in
// afterAll: call it at the top level of the file.
import diagnostics from 'node:diagnostics_channel';
import { afterAll, beforeAll } from 'vitest';
import { channelNames, type LostMessage } from '../../src/index.js';

export interface LostWatch {
  /** Every "lost" message published since the file started. */
  lost: LostMessage[];
  /** Every uncaught exception and unhandled rejection since the file started. */
  uncaught: unknown[];
}

export function watchLost(): LostWatch {
  const watch: LostWatch = { lost: [], uncaught: [] };
  const onLost = (m: unknown) => watch.lost.push(m as LostMessage);
  const onUncaught = (error: unknown) => watch.uncaught.push(error);
  beforeAll(() => {
    diagnostics.subscribe(channelNames.lost, onLost);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
  });
  afterAll(() => {
    diagnostics.unsubscribe(channelNames.lost, onLost);
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  });
  return watch;
}
