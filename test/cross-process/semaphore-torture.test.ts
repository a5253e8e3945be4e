// Torture: 8 processes share a semaphore of limit 3 and enter it 400 times each. Each
// logs its entries and exits in one shared append-only file (fixtures/semaphore-torturer.mjs);
// replaying the log, the number of simultaneous holders never exceeds 3, reaches 3 (every
// permit gets used), and every process gets through all its entries.
// Another permit store joins with one line in `targets` (a DSN).
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisServer } from '../helpers/redis-server.js';
import { semaphoreNamespace } from '../helpers/semaphores.js';
import { tempDir } from '../helpers/tmp.js';

const PROCESSES = 8;
const LIMIT = 3;
const ENTRIES = 400;

const dir = tempDir();
const { namespace, trackPermits } = semaphoreNamespace();
const torturer = fileURLToPath(new URL('../fixtures/semaphore-torturer.mjs', import.meta.url));

const redis = await RedisServer.start();

const targets: Array<{ name: string; dsn: string }> = [
  { name: 'SysvPermitStore', dsn: `semaphore://${encodeURIComponent(namespace)}` },
  { name: 'LockPermitStore over FlockStore', dsn: `lock+flock://${dir}` },
  { name: 'RedisPermitStore', dsn: redis.url },
];

const children = new Set<ReturnType<typeof fork>>();
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

/** Starts a torturer; resolves once it is ready, with a function that sends "go" and waits for it to end. */
async function startTorturer(args: string[]): Promise<() => Promise<void>> {
  const child = fork(torturer, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  const ended = new Promise<void>((resolve, reject) => {
    child.on('message', (message) => {
      if (message === 'done') resolve();
      else if (typeof message === 'string' && message.startsWith('failed')) reject(new Error(message));
    });
    child.once('exit', (code, signal) => reject(new Error(`torturer exited early (${code ?? signal})`)));
  });
  ended.catch(() => {}); // observed by the caller; avoid an unhandled rejection meanwhile
  await new Promise<void>((resolve, reject) => {
    child.once('message', (message) => (message === 'ready' ? resolve() : reject(new Error(String(message)))));
    child.once('error', reject);
  });
  return () => {
    child.send('go');
    return ended;
  };
}

describe.each(targets)('semaphore torture: $name', ({ name, dsn }) => {
  it(`${PROCESSES} processes × ${ENTRIES} entries on a limit of ${LIMIT}: never more than ${LIMIT} holders, every process gets through`, async () => {
    const resource = `torture-${process.pid}-${name.replace(/\W+/g, '-')}`;
    trackPermits(resource);
    const log = join(dir, `${resource}.log`);
    const starts = await Promise.all(
      Array.from({ length: PROCESSES }, (_, id) => startTorturer([dsn, resource, String(LIMIT), String(ENTRIES), log, String(id)])),
    );
    await Promise.all(starts.map((go) => go()));

    const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(PROCESSES * ENTRIES * 2);
    let holders = 0;
    let most = 0;
    const inside = new Map<string, number | null>(); // process id -> entry it is in (null: outside)
    const done = new Map<string, number>();
    const faults: string[] = [];
    for (const [index, line] of lines.entries()) {
      const [what, id, n] = line.split(' ') as [string, string, string];
      if (what === 'E') {
        if ((inside.get(id) ?? null) !== null) faults.push(`line ${index}: ${id} entered twice`);
        inside.set(id, Number(n));
        holders++;
        if (holders > LIMIT) faults.push(`line ${index}: ${holders} holders`);
        most = Math.max(most, holders);
      } else {
        if (inside.get(id) !== Number(n)) faults.push(`line ${index}: ${id} left ${n} without entering it`);
        inside.set(id, null);
        holders--;
        done.set(id, (done.get(id) ?? 0) + 1);
      }
    }
    expect(faults.slice(0, 10)).toEqual([]);
    expect(holders).toBe(0);
    expect(most).toBe(LIMIT);
    expect([...done.values()]).toEqual(Array.from({ length: PROCESSES }, () => ENTRIES));
  }, 300_000);
});
