// The waiting side of hand-offs, for any library: on "go" it says it is about to wait,
// blocks in the library's acquire, stamps the moment it resumes in JavaScript
// (CLOCK_MONOTONIC, as the holder's stamp), and gives the lock back. One child serves
// the libraries of a scenario in turn.
import type { LockEnv } from '../harness/workspace.js';
import { libraryById, type BenchLock } from '../libraries/index.js';
import { now, onMessage, send } from './ipc.js';

const env = JSON.parse(process.argv[2]!) as LockEnv;
const locks = new Map<string, Promise<BenchLock>>();

async function lockFor(id: string, resource: string): Promise<BenchLock> {
  const key = `${id}\0${resource}`;
  if (!locks.has(key)) locks.set(key, libraryById(id).connect(env).then((session) => session.lock(resource)));
  return locks.get(key)!;
}

onMessage(async (message) => {
  if (message.type === 'go') {
    const lock = await lockFor(message.library as string, message.resource as string);
    await send({ type: 'waiting' });
    await lock.acquire();
    const resumedAt = now();
    await lock.release();
    await send({ type: 'resumed', at: resumedAt.toString() });
  }
});
await send({ type: 'ready' });
