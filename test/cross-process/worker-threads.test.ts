import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { semaphoreNamespace } from '../helpers/semaphores.js';
import { tempDir } from '../helpers/tmp.js';

const script = fileURLToPath(new URL('../fixtures/worker-teardown.mjs', import.meta.url));
const dir = tempDir();
const { namespace, track } = semaphoreNamespace();
['wt-exclusion', ...Array.from({ length: 5 }, (_, i) => `wt-teardown-${i}`)].forEach(track);

describe.each(['flock', 'semaphore'])('worker_threads with the %s store', (store) => {
  it('excludes the main thread while a worker holds, and survives workers terminated mid-wait', () => {
    const result = spawnSync(process.execPath, [script, store, dir, namespace], { encoding: 'utf8', timeout: 30_000 });
    expect(result.stderr).toBe('');
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe('ok');
  });
});
