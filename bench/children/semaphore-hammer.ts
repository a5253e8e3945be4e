// One of the processes sharing a semaphore of SEMAPHORE_LIMIT permits. "prepare"
// connects and makes the semaphore (outside the timed window); "run" loops acquire,
// check in, check out, release until the deadline it carries (CLOCK_MONOTONIC), then
// reports. Checking in creates one of SEMAPHORE_LIMIT slot files with O_EXCL: when
// every slot file exists, more holders than permits are inside at once (an overlap,
// counted). "stop" makes a straggler report at once, as in hammer.ts.
import { closeSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { LockEnv } from '../harness/workspace.js';
import { libraryById, type BenchLock } from '../libraries/index.js';
import { SEMAPHORE_LIMIT } from '../libraries/semaphores.js';
import { now, onMessage, send } from './ipc.js';

const env = JSON.parse(process.argv[2]!) as LockEnv;
let semaphore: BenchLock | undefined;
let slotsDir = '';
let run = 0;
let reported = true;
let acquisitions = 0;
let failures = 0;
let overlaps = 0;

function report(): Promise<void> {
  if (reported) return Promise.resolve();
  reported = true;
  return send({ type: 'count', acquisitions, failures, overlaps });
}

/** Takes a free slot file; -1 when all are taken (more holders than permits). */
function checkIn(): number {
  for (let slot = 0; slot < SEMAPHORE_LIMIT; slot++) {
    try {
      closeSync(openSync(join(slotsDir, `slot-${slot}`), 'wx'));
      return slot;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return -1;
}

async function hammer(semaphore: BenchLock, until: bigint): Promise<void> {
  const thisRun = ++run;
  [acquisitions, failures, overlaps, reported] = [0, 0, 0, false];
  while (now() < until) {
    try {
      await semaphore.acquire();
    } catch {
      failures++; // the library gave up waiting (its own timeout): try again
      continue;
    }
    if (run !== thisRun) {
      await semaphore.release(); // abandoned by "stop": give it straight back
      return;
    }
    if (now() < until) {
      const slot = checkIn();
      if (slot < 0) overlaps++;
      else unlinkSync(join(slotsDir, `slot-${slot}`));
      acquisitions++;
    }
    await semaphore.release();
  }
  if (run === thisRun) await report();
}

onMessage(async (message) => {
  if (message.type === 'prepare') {
    const session = await libraryById(message.library as string).connect(env);
    semaphore = await session.lock(message.resource as string);
    slotsDir = message.slotsDir as string;
    await send({ type: 'prepared' });
  }
  if (message.type === 'run') void hammer(semaphore!, BigInt(message.until as string));
  if (message.type === 'stop') {
    run++;
    await report();
  }
});
await send({ type: 'ready' });
