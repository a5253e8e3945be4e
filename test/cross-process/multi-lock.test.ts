// MultiLock across real processes: two processes lock {a, b} and {b, a} blocking, a
// thousand rounds each, with neither a deadlock (both finish) nor an overlap (the
// fixture's O_EXCL markers and counters); a non-blocking MultiLock that finds one
// resource busy leaves none held, seen from another process.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LockHolder } from '../helpers/child.js';
import { RedisServer } from '../helpers/redis-server.js';
import { tempDir } from '../helpers/tmp.js';

const fixture = fileURLToPath(new URL('../fixtures/multi-lock-holder.mjs', import.meta.url));
const ROUNDS = 1_000;
const base = tempDir();

const targets: Array<{ name: string; dsn: () => Promise<string> }> = [
  { name: 'FlockStore', dsn: async () => `flock://${base}` },
  { name: 'RedisStore', dsn: async () => (await RedisServer.start()).url },
];

async function child(dsn: string): Promise<LockHolder> {
  const holder = new LockHolder(fixture);
  const reply = await holder.send({ cmd: 'open', dsn });
  expect(reply.error).toBeUndefined();
  return holder;
}

describe.each(targets)('MultiLock across processes on $name', ({ name, dsn: makeDsn }) => {
  it(`locks {a, b} and {b, a} in two processes, ${ROUNDS} rounds each, without deadlock or overlap`, { timeout: 300_000 }, async () => {
    const dsn = await makeDsn();
    const dir = join(base, `${name}-counts`);
    mkdirSync(dir);
    const [first, second] = await Promise.all([child(dsn), child(dsn)]);
    const [one, two] = await Promise.all([
      first.send({ cmd: 'rounds', resources: ['pair-a', 'pair-b'], rounds: ROUNDS, dir }),
      second.send({ cmd: 'rounds', resources: ['pair-b', 'pair-a'], rounds: ROUNDS, dir }),
    ]);
    expect(one.error).toBeUndefined();
    expect(two.error).toBeUndefined();
    expect([one.rounds, two.rounds]).toEqual([ROUNDS, ROUNDS]);
    // Every round of both counted on both resources: no increment was lost to an overlap.
    expect(readFileSync(join(dir, 'pair-a.count'), 'utf8')).toBe(String(2 * ROUNDS));
    expect(readFileSync(join(dir, 'pair-b.count'), 'utf8')).toBe(String(2 * ROUNDS));
  });

  it('leaves none held when a non-blocking MultiLock finds one resource busy in another process', async () => {
    const dsn = await makeDsn();
    const [holder, taker, prober] = await Promise.all([child(dsn), child(dsn), child(dsn)]);
    expect((await holder.send({ cmd: 'hold', resource: 'busy-b' })).acquired).toBe(true);
    const resources = ['busy-c', 'busy-a', 'busy-b'];
    expect((await taker.send({ cmd: 'multi', resources })).acquired).toBe(false);
    expect((await prober.send({ cmd: 'probe', resources })).free).toEqual(['busy-c', 'busy-a']);
    await holder.send({ cmd: 'release' });
    expect((await taker.send({ cmd: 'multi', resources })).acquired).toBe(true);
    expect((await prober.send({ cmd: 'probe', resources })).free).toEqual([]);
    await taker.send({ cmd: 'release' });
    expect((await prober.send({ cmd: 'probe', resources })).free).toEqual(resources);
  });

  it('gives back the first lock when a blocking MultiLock times out on the second in another process', async () => {
    const dsn = await makeDsn();
    const [holder, taker, prober] = await Promise.all([child(dsn), child(dsn), child(dsn)]);
    expect((await holder.send({ cmd: 'hold', resource: 'timed-b' })).acquired).toBe(true);
    const reply = await taker.send({ cmd: 'multi', resources: ['timed-b', 'timed-a'], options: { timeout: '300ms' } });
    expect(reply.acquired).toBe(false);
    expect((await prober.send({ cmd: 'probe', resources: ['timed-a', 'timed-b'] })).free).toEqual(['timed-a']);
  });
});
