// The pool of released local handles (descriptors or set handles holding no lock): what it
// keeps, what it closes at once, and that idle handles are closed by its sweeper.
import { describe, expect, it } from 'vitest';
import { IdleHandlePool } from '../../../src/stores/local/idle-handle-pool.js';

class FakeHandle {
  closed = false;
  constructor(readonly name: string) {}
  close(): void {
    this.closed = true;
  }
}

describe('IdleHandlePool', () => {
  it('gives back the most recently released handle of a path, and nothing for another path', () => {
    const pool = new IdleHandlePool<FakeHandle>({ perKey: 2, total: 10, idleMs: 60_000 });
    const [a, b] = [new FakeHandle('a'), new FakeHandle('b')];
    pool.give('/x', a);
    pool.give('/x', b);
    expect(pool.take('/y')).toBeUndefined();
    expect(pool.take('/x')).toBe(b);
    expect(pool.take('/x')).toBe(a);
    expect(pool.take('/x')).toBeUndefined();
    expect([a.closed, b.closed]).toEqual([false, false]);
    pool.clear();
  });

  it('closes a handle at once when its path or the pool is full', () => {
    const pool = new IdleHandlePool<FakeHandle>({ perKey: 2, total: 3, idleMs: 60_000 });
    const handles = Array.from({ length: 5 }, (_, i) => new FakeHandle(String(i)));
    pool.give('/x', handles[0]!);
    pool.give('/x', handles[1]!);
    pool.give('/x', handles[2]!); // a third for /x: over perKey
    pool.give('/y', handles[3]!);
    pool.give('/z', handles[4]!); // a fourth in all: over total
    expect(handles.map((h) => h.closed)).toEqual([false, false, true, false, true]);
    pool.clear();
    expect(handles.every((h) => h.closed)).toBe(true);
  });

  it('closes handles left idle, and keeps working after its sweeper stopped', async () => {
    const pool = new IdleHandlePool<FakeHandle>({ perKey: 2, total: 10, idleMs: 20 });
    const first = new FakeHandle('first');
    pool.give('/x', first);
    await expect.poll(() => first.closed, { timeout: 10_000, interval: 10 }).toBe(true);
    expect(pool.take('/x')).toBeUndefined();
    const second = new FakeHandle('second');
    pool.give('/x', second);
    expect(pool.take('/x')).toBe(second);
    expect(second.closed).toBe(false);
    pool.give('/x', second);
    await expect.poll(() => second.closed, { timeout: 10_000, interval: 10 }).toBe(true);
  });
});
