// Summaries of measured samples: percentiles for latencies, rates for throughput.

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Percentiles (nearest rank) of samples in microseconds. */
export function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { count: sorted.length, p50: rank(50), p90: rank(90), p99: rank(99), max: sorted[sorted.length - 1]! };
}

/** Runs `op` for `rounds` (after a warm-up) and returns the median ops/s of the rounds. */
export async function opsPerSecond(op: () => Promise<void> | void, options: { iterations: number; rounds: number }): Promise<number> {
  for (let i = 0; i < Math.min(5_000, options.iterations); i++) await op();
  const rates: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < options.iterations; i++) await op();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    rates.push(options.iterations / seconds);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}

export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function formatUs(value: number): string {
  return value >= 100 ? formatNumber(value, 0) : formatNumber(value, 1);
}
