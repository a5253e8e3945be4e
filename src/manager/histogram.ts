// A bounded histogram: log-linear buckets (8 per power of two, so a percentile is off by
// at most 12.5%), whatever the number of samples. Values are milliseconds, kept at
// microsecond resolution.

const SUB_BUCKETS = 8;
const LINEAR_LIMIT = 16; // below 16 µs, one bucket per microsecond

export interface Distribution {
  count: number;
  /** The exact mean of the samples (0 when there are none). */
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export class Histogram {
  readonly #counts = new Map<number, number>();
  #count = 0;
  #sum = 0;
  #max = 0;

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const us = Math.round(ms * 1000);
    const index = bucketOf(us);
    this.#counts.set(index, (this.#counts.get(index) ?? 0) + 1);
    this.#count++;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
  }

  snapshot(): Distribution {
    return { count: this.#count, mean: this.#count === 0 ? 0 : this.#sum / this.#count, p50: this.percentile(50), p90: this.percentile(90), p99: this.percentile(99), max: this.#max };
  }

  /** The value (ms) below which `p` percent of the samples fall; 0 when empty. */
  percentile(p: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.ceil((p / 100) * this.#count);
    let seen = 0;
    for (const index of [...this.#counts.keys()].sort((a, b) => a - b)) {
      seen += this.#counts.get(index)!;
      if (seen >= rank) return Math.min(upperBoundOf(index) / 1000, this.#max);
    }
    return this.#max;
  }
}

function bucketOf(us: number): number {
  if (us < LINEAR_LIMIT) return us;
  const exponent = Math.floor(Math.log2(us));
  const mantissa = Math.floor(us / 2 ** (exponent - 3)) - SUB_BUCKETS; // 0..7
  return LINEAR_LIMIT + (exponent - 4) * SUB_BUCKETS + mantissa;
}

function upperBoundOf(index: number): number {
  if (index < LINEAR_LIMIT) return index;
  const exponent = Math.floor((index - LINEAR_LIMIT) / SUB_BUCKETS) + 4;
  const mantissa = (index - LINEAR_LIMIT) % SUB_BUCKETS;
  return (SUB_BUCKETS + mantissa + 1) * 2 ** (exponent - 3);
}
