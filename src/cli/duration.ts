// Durations on the command line: "500ms", "30s", "5m", "2h"; a bare number is seconds,
// as flock(1)'s -w takes it.
import { InvalidArgumentError } from '../core/errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Milliseconds. */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) {
    throw new InvalidArgumentError(`${option}: "${text}" is not a duration (examples: 500ms, 30s, 5m, 2h; a bare number is seconds).`);
  }
  return Number(match[1]) * UNITS[match[2] ?? 's']!;
}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}
