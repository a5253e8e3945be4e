// NODE_DEBUG=lockwright: one line per lock event on stderr, built as a subscriber of the
// diagnostics channels (so it costs nothing unless enabled).
import diagnostics from 'node:diagnostics_channel';
import { debuglog } from 'node:util';
import { formatDuration } from './duration.js';
import { channelNames, type AcquireMessage, type ConflictMessage, type LockMessage, type LostMessage, type ReleaseMessage } from './diagnostics.js';

const log = debuglog('lockwright');

function describe(m: LockMessage): string {
  return `"${m.resource}" (${m.store}, ${m.mode}${m.blocking ? ', blocking' : ''}${m.ttl === null ? '' : `, ttl ${formatDuration(m.ttl)}`})`;
}

const ms = (value: number | null) => (value === null ? '?' : `${value.toFixed(1)} ms`);
const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

if (log.enabled) {
  const started = new WeakMap<object, number>();
  diagnostics.subscribe('tracing:lockwright:lock:acquire:start', (m) => {
    started.set(m as object, performance.now());
    log('acquire %s', describe(m as AcquireMessage));
  });
  diagnostics.subscribe('tracing:lockwright:lock:acquire:asyncEnd', (raw) => {
    const m = raw as AcquireMessage;
    if (m.error !== undefined) return; // reported by the error channel
    const took = performance.now() - (started.get(m) ?? performance.now());
    log('acquire %s -> %s in %s', describe(m), m.result ? 'held' : 'not held', ms(took));
  });
  diagnostics.subscribe('tracing:lockwright:lock:acquire:error', (raw) => {
    const m = raw as AcquireMessage;
    log('acquire %s failed: %s', describe(m), reason(m.error));
  });
  diagnostics.subscribe(channelNames.conflict, (raw) => {
    const m = raw as ConflictMessage;
    log('conflict %s: %s after %s', describe(m), m.reason, ms(m.waitedMs));
  });
  diagnostics.subscribe(channelNames.release, (raw) => {
    const m = raw as ReleaseMessage;
    log('release %s after holding %s', describe(m), ms(m.heldMs));
  });
  diagnostics.subscribe(channelNames.refresh, (m) => log('refresh %s', describe(m as LockMessage)));
  diagnostics.subscribe(channelNames.lost, (raw) => {
    const m = raw as LostMessage;
    log('LOST %s after holding %s: %s', describe(m), ms(m.heldMs), reason(m.error));
  });
  diagnostics.subscribe(channelNames.expired, (raw) => log('expired %s: %s', describe(raw as LockMessage), reason((raw as LostMessage).error)));
}
