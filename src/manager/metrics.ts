// LockManager metrics: what happens to the locks its manager created, told by the locks
// themselves (LockObserver), not by subscribing to the diagnostics channels, which would
// make every lock of the process publish. Memory stays bounded whatever the traffic.
import type { LockObserver } from '../core/lock.js';
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

export class MetricsCollector implements LockObserver {
  readonly #acquireLatency = new Histogram();
  readonly #waitTime = new Histogram();
  readonly #holdDuration = new Histogram();
  readonly #conflictsByResource = new TopCounts();
  readonly #counters = { acquired: 0, conflicts: 0, released: 0, lost: 0, expired: 0 };
  /** After close(), nothing more is counted (snapshots show what was). */
  #closed = false;

  acquired(blocking: boolean, startedAt: number, outcome: boolean | null): void {
    if (this.#closed) return;
    const took = performance.now() - startedAt;
    this.#acquireLatency.record(took);
    if (blocking) this.#waitTime.record(took);
    if (outcome === true) this.#counters.acquired++;
  }

  conflicted(resource: string): void {
    if (this.#closed) return;
    this.#counters.conflicts++;
    this.#conflictsByResource.add(resource);
  }

  ended(released: boolean, heldMs: number | null): void {
    if (this.#closed) return;
    if (released) this.#counters.released++;
    else this.#counters.lost++;
    if (heldMs !== null) this.#holdDuration.record(heldMs);
  }

  expired(): void {
    if (!this.#closed) this.#counters.expired++;
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
    this.#closed = true;
  }
}
