// The waiting side of the hand-off scenario: on "go" it says it is about to wait,
// blocks in acquire(true), stamps the moment it resumes, and gives the lock back.
import { FlockStore, LockFactory, SemaphoreStore } from '../../dist/index.js';

const [storeName, dir, namespace, resource] = process.argv.slice(2);
const store = storeName === 'flock' ? new FlockStore(dir!) : new SemaphoreStore({ namespace: namespace! });
const lock = new LockFactory(store).createLock(resource!);

process.on('message', async (message: string) => {
  if (message === 'exit') process.exit(0);
  process.send!('waiting');
  await lock.acquire(true);
  const resumedAt = process.hrtime.bigint();
  await lock.release();
  process.send!(resumedAt.toString());
});
process.send!('ready');
