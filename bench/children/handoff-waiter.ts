// The waiting side of a hand-off: on "go" it says it is about to wait, blocks in the
// library's acquire, stamps the moment it resumes in JavaScript (CLOCK_MONOTONIC, as
// the holder's stamp), and gives the lock back.
import { childArgs, now, onMessage, send } from './ipc.js';

const { library, env, rest } = childArgs();
const session = await library.connect(env);
const lock = await session.lock(rest[0]!);

onMessage(async (message) => {
  if (message.type === 'go') {
    await send({ type: 'waiting' });
    await lock.acquire();
    const resumedAt = now();
    await lock.release();
    await send({ type: 'resumed', at: resumedAt.toString() });
  }
});
await send({ type: 'ready' });
