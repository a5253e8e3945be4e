// One of the processes hammering a single resource. "prepare" connects and makes the
// lock (outside the timed window); "run" then loops acquire, increment the shared
// counter file, release, as fast as it can until the deadline it carries (a
// CLOCK_MONOTONIC time, so no message has to get through a busy loop), then reports.
// "stop" makes a straggler (a poller in a long backoff) report at once and abandon its
// pending acquire, released as soon as it is granted. The critical section is
// synchronous: a report never falls between an increment and its count, so the parent
// can compare the counter file with the sum of the counts. A counter still at the value
// this process wrote last means nobody else held the lock in between: the process took
// it back itself (a re-take, no hand-off to another process), counted apart.
import { readFileSync, writeFileSync } from 'node:fs';
import type { LockEnv } from '../harness/workspace.js';
import { libraryById, type BenchLock } from '../libraries/index.js';
import { now, onMessage, send } from './ipc.js';

const env = JSON.parse(process.argv[2]!) as LockEnv;
let lock: BenchLock | undefined;
let counterPath = '';
let run = 0;
let reported = true;
let acquisitions = 0;
let failures = 0;
let retakes = 0;

function report(): Promise<void> {
  if (reported) return Promise.resolve();
  reported = true;
  return send({ type: 'count', acquisitions, failures, retakes });
}

async function hammer(lock: BenchLock, until: bigint): Promise<void> {
  const thisRun = ++run;
  [acquisitions, failures, retakes, reported] = [0, 0, 0, false];
  let written = -1; // the counter value this process wrote last
  while (now() < until) {
    try {
      await lock.acquire();
    } catch {
      failures++; // the library gave up waiting (its own timeout): try again
      continue;
    }
    if (run !== thisRun) {
      await lock.release(); // abandoned by "stop": give it straight back
      return;
    }
    if (now() < until) {
      const counter = Number(readFileSync(counterPath, 'utf8'));
      if (counter === written) retakes++;
      written = counter + 1;
      writeFileSync(counterPath, String(written));
      acquisitions++;
    }
    await lock.release();
  }
  if (run === thisRun) await report();
}

onMessage(async (message) => {
  if (message.type === 'prepare') {
    const session = await libraryById(message.library as string).connect(env);
    lock = await session.lock(message.resource as string);
    counterPath = message.counterPath as string;
    await send({ type: 'prepared' });
  }
  if (message.type === 'run') void hammer(lock!, BigInt(message.until as string));
  if (message.type === 'stop') {
    run++;
    await report();
  }
});
await send({ type: 'ready' });
