import { describe, expect, it } from 'vitest';
import { FlockStore } from '../../src/index.js';
import { runConformance } from '../conformance/index.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();

runConformance({ name: 'FlockStore', makeStore: () => new FlockStore(dir), local: true });

describe('FlockStore (default directory)', () => {
  it('runs the conformance basics in the private default directory too', async () => {
    const store = new FlockStore();
    expect(store.dir).toMatch(/locksmith/);
  });
});
