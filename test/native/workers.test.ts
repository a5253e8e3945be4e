import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomSemaphore, removeSemaphore, startFixture, tempDir } from './helpers.js';

// Each scenario runs in a child process: an abort in worker teardown must show up as a
// failed exit, not take vitest down.
let tmp: ReturnType<typeof tempDir>;
const keys: number[] = [];
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => {
  tmp.cleanup();
  for (const key of keys) removeSemaphore(key);
});

describe.runIf(process.platform === 'linux')('worker_threads', () => {
  for (const [label, env] of [
    ['with the wake signal', {}],
    ['in abandon mode (no wake signal)', { LOCKWRIGHT_WAKE_SIGNAL: '0' }],
  ] as const) {
    it(`terminating workers that hold or wait neither crashes nor leaks (${label})`, async () => {
      const { key, fingerprint } = randomSemaphore();
      keys.push(key);
      const child = startFixture(
        'worker-teardown.mjs',
        [tmp.dir, String(key), String(fingerprint), '30'],
        env,
      );
      const exit = await child.exit(60_000);
      expect(child.output()).toContain('ok');
      expect(exit).toEqual({ code: 0, signal: null });
    }, 70_000);
  }
});
