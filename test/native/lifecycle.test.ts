import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir, startFixture, tempDir } from './helpers.js';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

describe.runIf(process.platform === 'linux')('lifecycle', () => {
  it('garbage collection keeps a held lock and closes idle descriptors', () => {
    const r = spawnSync(process.execPath, ['--expose-gc', path.join(fixturesDir, 'gc.mjs'), tmp.dir], {
      encoding: 'utf8',
    });
    expect(r.stdout + r.stderr).toContain('ok');
    expect(r.status).toBe(0);
  });

  it('picks a free real-time signal by default', async () => {
    const child = startFixture('wake-signal.mjs', [tmp.dir]);
    const sig = Number((await child.line(/^signal /)).split(' ')[1]);
    expect(sig).toBeGreaterThanOrEqual(34);
    await child.line(/^ok$/);
    expect((await child.exit()).code).toBe(0);
  });

  it('honours LOCKWRIGHT_WAKE_SIGNAL', async () => {
    const child = startFixture('wake-signal.mjs', [tmp.dir], { LOCKWRIGHT_WAKE_SIGNAL: '40' });
    expect(await child.line(/^signal /)).toBe('signal 40');
    await child.line(/^ok$/);
    expect((await child.exit()).code).toBe(0);
  });

  it('still settles timeouts and cancellations without a wake signal (abandon mode)', async () => {
    const child = startFixture('wake-signal.mjs', [tmp.dir], { LOCKWRIGHT_WAKE_SIGNAL: '0' });
    expect(await child.line(/^signal /)).toBe('signal 0');
    await child.line(/^ok$/);
    expect((await child.exit()).code).toBe(0);
  });
});
