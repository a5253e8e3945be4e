import { spawnSync } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FlockStore, InMemoryStore, Key, LockFactory, channelNames, channels, type LockMessage } from '../../src/index.js';
import { tempDir } from '../helpers/tmp.js';

type Event = [string, LockMessage & Record<string, unknown>];

function record(): { events: Event[]; stop(): void } {
  const events: Event[] = [];
  const handlers: Array<[string, (m: unknown) => void]> = [];
  for (const name of [
    'tracing:lockwright:lock:acquire:start',
    'tracing:lockwright:lock:acquire:asyncEnd',
    'tracing:lockwright:lock:acquire:error',
    channelNames.conflict,
    channelNames.release,
    channelNames.refresh,
    channelNames.lost,
    channelNames.expired,
  ]) {
    const handler = (m: unknown) => events.push([name.replace('tracing:lockwright:lock:', '').replace('lockwright:lock:', ''), { ...(m as Event[1]) }]);
    diagnostics.subscribe(name, handler);
    handlers.push([name, handler]);
  }
  return { events, stop: () => handlers.forEach(([n, h]) => diagnostics.unsubscribe(n, h)) };
}

let recorder: ReturnType<typeof record> | undefined;
afterEach(() => recorder?.stop());

describe('diagnostics channels', () => {
  it('traces acquire, conflict, refresh and release with the documented payload', async () => {
    recorder = record();
    const factory = new LockFactory(new InMemoryStore());
    const lock = factory.createLock('traced', { ttl: 5_000 });
    await lock.acquire();
    await factory.createLock('traced', { ttl: 5_000 }).acquire();
    await lock.refresh();
    await lock.release();
    const names = recorder.events.map(([n]) => n);
    expect(names).toEqual([
      'acquire:start', 'refresh', 'acquire:asyncEnd',
      'acquire:start', 'conflict', 'acquire:asyncEnd',
      'refresh',
      'release',
    ]);
    const [, start] = recorder.events[0]!;
    expect(start).toMatchObject({ resource: 'traced', store: 'InMemoryStore', mode: 'exclusive', blocking: false, ttl: 5_000 });
    expect(start.lock).toBe(lock);
    expect(recorder.events[2]![1].result).toBe(true);
    expect(recorder.events[4]![1]).toMatchObject({ reason: 'busy' });
    expect(recorder.events[5]![1].result).toBe(false);
    expect(recorder.events[7]![1].heldMs).toBeGreaterThanOrEqual(0);
  });

  it('traces the fast path of a local store (settled in the call) in tracePromise\'s order, with the result', async () => {
    const seen: string[] = [];
    const handlers = {
      start: (m: unknown) => seen.push(`start ${(m as LockMessage).resource}`),
      end: () => seen.push('end'),
      asyncStart: (m: unknown) => seen.push(`asyncStart ${(m as { result?: boolean }).result}`),
      asyncEnd: (m: unknown) => seen.push(`asyncEnd ${(m as { result?: boolean }).result}`),
      error: () => seen.push('error'),
    };
    channels.acquire.subscribe(handlers);
    try {
      const factory = new LockFactory(new FlockStore(tempDir()));
      const lock = factory.createLock('fast');
      const held = lock.acquire();
      // Published before the caller's first await: the answer was known in the call.
      expect(seen).toEqual(['start fast', 'end', 'asyncStart true', 'asyncEnd true']);
      expect(await held).toBe(true);
      expect(await factory.createLock('fast').acquire()).toBe(false);
      await lock.release();
      expect(seen.slice(4)).toEqual(['start fast', 'end', 'asyncStart false', 'asyncEnd false']);
      // A wait the fast path cannot settle is traced when it settles.
      const holder = factory.createLock('slow');
      await holder.acquire();
      seen.length = 0;
      const waiting = factory.createLock('slow').acquire({ timeout: 20_000 });
      expect(seen).toEqual(['start slow', 'end']);
      await holder.release();
      expect(await waiting).toBe(true);
      expect(seen).toEqual(['start slow', 'end', 'asyncStart true', 'asyncEnd true']);
    } finally {
      channels.acquire.unsubscribe(handlers);
    }
  });

  it('reports a timed-out wait as a conflict with reason "timeout" and the time waited', async () => {
    recorder = record();
    const factory = new LockFactory(new InMemoryStore());
    const holder = factory.createLock('wait');
    await holder.acquire();
    expect(await factory.createLock('wait').acquire({ timeout: 60 })).toBe(false);
    const conflict = recorder.events.find(([n]) => n === 'conflict')![1];
    expect(conflict).toMatchObject({ reason: 'timeout', blocking: true });
    expect(conflict.waitedMs as number).toBeGreaterThanOrEqual(55);
  });

  it('publishes acquire errors (an abort) on the error channel', async () => {
    recorder = record();
    const factory = new LockFactory(new InMemoryStore());
    await factory.createLock('aborted').acquire();
    const reason = new Error('stop');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 20);
    await expect(factory.createLock('aborted').acquire({ signal: controller.signal })).rejects.toBe(reason);
    const error = recorder.events.find(([n]) => n === 'acquire:error')![1];
    expect(error.error).toBe(reason);
  });

  it('publishes one "expired" event for a lock whose lifetime ran out while it was stored', async () => {
    recorder = record();
    // A store whose refresh answers after the TTL ran out (the shortest TTL there is).
    class SlowStore extends InMemoryStore {
      override async putOffExpiration(key: Key, ttl: number): Promise<void> {
        await super.putOffExpiration(key, ttl);
        await new Promise((r) => setTimeout(r, 40));
      }
    }
    const lock = new LockFactory(new SlowStore()).createLock('too-short', { ttl: 10 });
    await expect(lock.acquire()).rejects.toThrow(/Failed to acquire the "too-short" lock/);
    expect(recorder.events.filter(([n]) => n === 'expired')).toHaveLength(1);
  });

  it('logs every event on stderr with NODE_DEBUG=lockwright', () => {
    const entry = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
    const script = `import(${JSON.stringify(entry)}).then(async ({ LockFactory, InMemoryStore, SemaphoreFactory, LockPermitStore }) => {
      const factory = new LockFactory(new InMemoryStore());
      const lock = factory.createLock('debugged');
      await lock.acquire();
      await factory.createLock('debugged').acquire();
      await lock.release();
      const semaphore = new SemaphoreFactory(new LockPermitStore(new InMemoryStore())).createSemaphore('counted', 3, { weight: 2 });
      await semaphore.acquire();
      await semaphore.release();
    })`;
    const run = (env: Record<string, string>) => spawnSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
    const debug = run({ NODE_DEBUG: 'lockwright' });
    expect(debug.stderr).toMatch(/LOCKWRIGHT \d+: acquire "debugged" \(InMemoryStore, exclusive, ttl 5 min\) -> held/);
    expect(debug.stderr).toMatch(/conflict "debugged" .*: busy after/);
    expect(debug.stderr).toMatch(/release "debugged" .* after holding/);
    expect(debug.stderr).toMatch(/acquire "counted" \(LockPermitStore, semaphore, 2 of 3, ttl 5 min\) -> held/);
    expect(debug.stderr).toMatch(/release "counted" \(LockPermitStore, semaphore, 2 of 3, ttl 5 min\) after holding/);
    expect(run({ NODE_DEBUG: '' }).stderr).toBe('');
  });
});
