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
  /** Counts per bucket: a flat array, so that a sample costs an index and an increment. */
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #max = 0;

  record(ms: number): void {
    if (!(ms >= 0) || ms === Infinity) return; // NaN, negative, infinite: not a duration
    this.#counts[bucketOf(Math.min(Math.round(ms * 1000), Number.MAX_VALUE))]!++;
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
    for (let index = 0; index < BUCKETS; index++) {
      seen += this.#counts[index]!;
      if (seen >= rank) return Math.min(upperBoundOf(index) / 1000, this.#max);
    }
    return this.#max;
  }
}

/**
 * Buckets for every exponent a double can reach in µs (2^1024), so that no sample falls
 * outside; 8 KiB per histogram.
 */
const BUCKETS = LINEAR_LIMIT + (1024 - 4) * SUB_BUCKETS;

function bucketOf(us: number): number {
  if (us < LINEAR_LIMIT) return us;
  // clz32 for what fits 32 bits (up to 71 minutes), log2 beyond.
  const exponent = us < 2 ** 32 ? 31 - Math.clz32(us) : Math.floor(Math.log2(us));
  const mantissa = Math.floor(us / 2 ** (exponent - 3)) - SUB_BUCKETS; // 0..7
  return LINEAR_LIMIT + (exponent - 4) * SUB_BUCKETS + mantissa;
}

function upperBoundOf(index: number): number {
  if (index < LINEAR_LIMIT) return index;
  const exponent = Math.floor((index - LINEAR_LIMIT) / SUB_BUCKETS) + 4;
  const mantissa = (index - LINEAR_LIMIT) % SUB_BUCKETS;
  return (SUB_BUCKETS + mantissa + 1) * 2 ** (exponent - 3);
}
