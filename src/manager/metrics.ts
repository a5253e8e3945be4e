// LockManager metrics, collected as a subscriber of the diagnostics channels and only
// for the locks its manager created. Memory stays bounded whatever the traffic.
import diagnostics from 'node:diagnostics_channel';
import { channelNames, type AcquireMessage, type LockMessage, type LostMessage, type ReleaseMessage } from '../core/diagnostics.js';
import type { Lock } from '../core/lock.js';
import { Histogram, type Distribution } from './histogram.js';
import { TopCounts } from './top-counts.js';

export interface LockMetrics {
  /** Successful acquisitions. */
  acquired: number;
  /** Acquisitions refused because the lock was busy or the wait timed out. */
  conflicts: number;
  /** Holdings ended by an explicit release. */
  released: number;
  /** Holdings ended because the lock was lost (refresh refused, expired). */
  lost: number;
  /** Locks whose lifetime ran out (while held, or before they could be stored). */
  expired: number;
  /** Time from acquire() to its outcome, every acquisition (ms). */
  acquireLatencyMs: Distribution;
  /** Time blocking acquisitions spent waiting, granted or timed out (ms). */
  waitTimeMs: Distribution;
  /** How long locks were held, released or lost (ms); `mean` is the average hold duration. */
  holdDurationMs: Distribution;
  /** The resources with the most conflicts (up to 20). */
  conflictsByResource: Array<{ resource: string; count: number }>;
}

export class MetricsCollector {
  readonly #locks = new WeakSet<Lock>();
  readonly #started = new WeakMap<object, number>();
  readonly #acquireLatency = new Histogram();
  readonly #waitTime = new Histogram();
  readonly #holdDuration = new Histogram();
  readonly #conflictsByResource = new TopCounts();
  readonly #counters = { acquired: 0, conflicts: 0, released: 0, lost: 0, expired: 0 };
  readonly #subscriptions: Array<[string, (message: unknown) => void]> = [];

  constructor() {
    const on = (name: string, handler: (message: LockMessage) => void) => {
      const wrapped = (message: unknown) => {
        if (this.#locks.has((message as LockMessage).lock)) handler(message as LockMessage);
      };
      diagnostics.subscribe(name, wrapped);
      this.#subscriptions.push([name, wrapped]);
    };
    on('tracing:lockwright:lock:acquire:start', (m) => this.#started.set(m, performance.now()));
    // asyncEnd follows both outcomes of the traced promise (error is published before it).
    on('tracing:lockwright:lock:acquire:asyncEnd', (m) => this.#onAcquired(m as AcquireMessage));
    on(channelNames.conflict, (m) => {
      this.#counters.conflicts++;
      this.#conflictsByResource.add(m.resource);
    });
    on(channelNames.release, (m) => {
      this.#counters.released++;
      const held = (m as ReleaseMessage).heldMs;
      if (held !== null) this.#holdDuration.record(held);
    });
    on(channelNames.lost, (m) => {
      this.#counters.lost++;
      const held = (m as LostMessage).heldMs;
      if (held !== null) this.#holdDuration.record(held);
    });
    on(channelNames.expired, () => this.#counters.expired++);
  }

  /** Counts this lock's events from now on. */
  track(lock: Lock): void {
    this.#locks.add(lock);
  }

  #onAcquired(message: AcquireMessage): void {
    const started = this.#started.get(message);
    if (started === undefined) return;
    this.#started.delete(message);
    const took = performance.now() - started;
    this.#acquireLatency.record(took);
    if (message.blocking) this.#waitTime.record(took);
    if (message.result === true) this.#counters.acquired++;
  }

  snapshot(): LockMetrics {
    return {
      ...this.#counters,
      acquireLatencyMs: this.#acquireLatency.snapshot(),
      waitTimeMs: this.#waitTime.snapshot(),
      holdDurationMs: this.#holdDuration.snapshot(),
      conflictsByResource: this.#conflictsByResource.top(20),
    };
  }

  close(): void {
    for (const [name, handler] of this.#subscriptions) diagnostics.unsubscribe(name, handler);
    this.#subscriptions.length = 0;
  }
}
