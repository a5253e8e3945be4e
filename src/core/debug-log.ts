// NODE_DEBUG=lockwright: one line per lock or semaphore event on stderr, built as a
// subscriber of the diagnostics channels (so it costs nothing unless enabled).
import diagnostics from 'node:diagnostics_channel';
import { debuglog } from 'node:util';
import { formatDuration } from './duration.js';
import { channelNames, semaphoreChannelNames, type AcquireMessage, type ConflictMessage, type LostMessage, type ReleaseMessage } from './diagnostics.js';

const log = debuglog('lockwright');

/** Fields both message families carry; a lock's has `mode`, a semaphore's `limit` and `weight`. */
interface Described {
  resource: string;
  store: string;
  blocking: boolean;
  ttl: number | null;
  mode?: string;
  limit?: number;
  weight?: number;
}

function describe(m: Described): string {
  const what = m.mode ?? `semaphore, ${m.weight} of ${m.limit}`;
  return `"${m.resource}" (${m.store}, ${what}${m.blocking ? ', blocking' : ''}${m.ttl === null ? '' : `, ttl ${formatDuration(m.ttl)}`})`;
}

const ms = (value: number | null) => (value === null ? '?' : `${value.toFixed(1)} ms`);
const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

function subscribeFamily(names: typeof channelNames | typeof semaphoreChannelNames): void {
  const started = new WeakMap<object, number>();
  const tracing = names.acquire.slice(0, -1); // 'tracing:lockwright:lock:acquire:'
  diagnostics.subscribe(`${tracing}start`, (m) => {
    started.set(m as object, performance.now());
    log('acquire %s', describe(m as Described));
  });
  diagnostics.subscribe(`${tracing}asyncEnd`, (raw) => {
    const m = raw as AcquireMessage;
    if (m.error !== undefined) return; // reported by the error channel
    const took = performance.now() - (started.get(m) ?? performance.now());
    log('acquire %s -> %s in %s', describe(m), m.result ? 'held' : 'not held', ms(took));
  });
  diagnostics.subscribe(`${tracing}error`, (raw) => {
    const m = raw as AcquireMessage;
    log('acquire %s failed: %s', describe(m), reason(m.error));
  });
  diagnostics.subscribe(names.conflict, (raw) => {
    const m = raw as ConflictMessage;
    log('conflict %s: %s after %s', describe(m), m.reason, ms(m.waitedMs));
  });
  diagnostics.subscribe(names.release, (raw) => {
    const m = raw as ReleaseMessage;
    log('release %s after holding %s', describe(m), ms(m.heldMs));
  });
  diagnostics.subscribe(names.refresh, (m) => log('refresh %s', describe(m as Described)));
  diagnostics.subscribe(names.lost, (raw) => {
    const m = raw as LostMessage;
    log('LOST %s after holding %s: %s', describe(m), ms(m.heldMs), reason(m.error));
  });
  diagnostics.subscribe(names.expired, (raw) => log('expired %s: %s', describe(raw as Described), reason((raw as LostMessage).error)));
}

if (log.enabled) {
  subscribeFamily(channelNames);
  subscribeFamily(semaphoreChannelNames);
}
