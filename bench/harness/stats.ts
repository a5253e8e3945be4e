// Summaries of measured samples: percentiles for latencies, rates for throughput.

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Percentiles (nearest rank) of samples, in the samples' unit. */
export function summarize(samples: number[]): LatencySummary {
  if (samples.length === 0) throw new Error('no samples to summarize');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { count: sorted.length, p50: rank(50), p90: rank(90), p99: rank(99), max: sorted[sorted.length - 1]! };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

type Op = () => Promise<unknown> | unknown;

/** Calls `op` for about `ms` and returns its rate in calls per second. */
export async function timedRound(op: Op, ms: number): Promise<number> {
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(ms * 1e6));
  let done = 0;
  let now = started;
  // Look at the clock every 32 calls only: reading it costs as much as a cheap op.
  // Synchronous ops are not awaited, so a microtask per call does not blur them.
  while (now < deadline) {
    for (let i = 0; i < 32; i++) {
      const result = op();
      if (isThenable(result)) await result;
    }
    done += 32;
    now = process.hrtime.bigint();
  }
  return done / (Number(now - started) / 1e9);
}

/**
 * The median ops/s of each op over `rounds` rounds of about `roundMs`, after a warm-up
 * round each. Rounds are interleaved (A B C, A B C, …) so that a drift in the machine's
 * speed during the measurement touches every op alike.
 */
export async function opsPerSecondEach(ops: Op[], options: { rounds: number; roundMs: number }): Promise<number[]> {
  for (const op of ops) await timedRound(op, Math.min(100, options.roundMs));
  const rates: number[][] = ops.map(() => []);
  for (let round = 0; round < options.rounds; round++) {
    for (const [i, op] of ops.entries()) rates[i]!.push(await timedRound(op, options.roundMs));
  }
  return rates.map(median);
}

export async function opsPerSecond(op: Op, options: { rounds: number; roundMs: number }): Promise<number> {
  return (await opsPerSecondEach([op], options))[0]!;
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Microseconds with a precision that suits their size. */
export function formatUs(value: number): string {
  return value >= 100 ? formatNumber(value, 0) : formatNumber(value, 1);
}

/** A ratio as "12.3×" (two significant digits below 10). */
export function formatRatio(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return `${value >= 10 ? formatNumber(value, 0) : formatNumber(value, value >= 1 ? 1 : 2)}×`;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Like opsPerSecondEach, for ops slow enough (a network round trip or more) to time one
 * by one: the median ops/s over the rounds, and every call's latency in µs for
 * percentiles. Rounds interleaved, a short warm-up round each first.
 */
export async function timedCallsEach(ops: Op[], options: { rounds: number; roundMs: number }): Promise<Array<{ rate: number; latency: LatencySummary }>> {
  const round = async (op: Op, ms: number, samples: number[] | undefined) => {
    const started = process.hrtime.bigint();
    const deadline = started + BigInt(Math.round(ms * 1e6));
    let done = 0;
    let now = started;
    while (now < deadline) {
      const before = now;
      const result = op();
      if (isThenable(result)) await result;
      now = process.hrtime.bigint();
      samples?.push(Number(now - before) / 1e3);
      done++;
    }
    return done / (Number(now - started) / 1e9);
  };
  for (const op of ops) await round(op, Math.min(100, options.roundMs), undefined);
  const rates: number[][] = ops.map(() => []);
  const samples: number[][] = ops.map(() => []);
  for (let r = 0; r < options.rounds; r++) {
    for (const [i, op] of ops.entries()) rates[i]!.push(await round(op, options.roundMs, samples[i]));
  }
  return ops.map((_, i) => ({ rate: median(rates[i]!), latency: summarize(samples[i]!) }));
}

/** Milliseconds from µs, with a precision that suits their size. */
export function formatMs(us: number): string {
  const ms = us / 1e3;
  return ms >= 100 ? formatNumber(ms, 0) : ms >= 10 ? formatNumber(ms, 1) : formatNumber(ms, 2);
}
