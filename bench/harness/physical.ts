// The physical limit: bench/c/limits.c, compiled with the system compiler into the run's
// scratch directory (never committed as a binary), measures what the kernel itself
// costs. Local figures are shown as multiples of these.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { summarize, type LatencySummary } from './stats.js';
import type { Workspace } from './workspace.js';

const run = promisify(execFile);

export type Mechanism = 'flock' | 'ofd' | 'posix' | 'semop';
export const mechanisms: Mechanism[] = ['flock', 'ofd', 'posix', 'semop'];

export const mechanismNames: Record<Mechanism, string> = {
  flock: 'flock(2) LOCK_EX / LOCK_UN',
  ofd: 'fcntl F_OFD_SETLKW / F_UNLCK',
  posix: 'fcntl F_SETLKW / F_UNLCK (POSIX)',
  semop: 'semop −1 / +1 (SEM_UNDO)',
};

export interface PhysicalLimits {
  compiler: string;
  /** Median ns per uncontended acquire+release pair. */
  pairNs: Record<Mechanism, number>;
  /** Cross-process hand-off latencies, µs. */
  handoffUs: Record<Mechanism, LatencySummary>;
  budget: { pairs: number; rounds: number; handoffs: number };
  /** The contention scenario's loop in C: `processes` processes on one lock for `seconds`. */
  contend(mechanism: Mechanism, processes: number, seconds: number): Promise<CContention>;
}

/** What `limits contend` counts, summed over its processes. */
export interface CContention {
  acquisitions: number;
  retakes: number;
  min: number;
  max: number;
  seconds: number;
}

export async function measurePhysicalLimits(workspace: Workspace, quick: boolean): Promise<PhysicalLimits> {
  const source = fileURLToPath(new URL('../c/limits.c', import.meta.url));
  const binDir = join(workspace.dir, 'bin');
  mkdirSync(binDir, { recursive: true });
  const binary = join(binDir, 'limits');
  await run('cc', ['-O2', '-o', binary, source]);
  const compiler = (await run('cc', ['--version'])).stdout.split('\n')[0]!.trim();

  const budget = quick ? { pairs: 50_000, rounds: 5, handoffs: 300 } : { pairs: 200_000, rounds: 9, handoffs: 2_000 };
  const limits = async (...args: Array<string | number>) =>
    (await run(binary, args.map(String), { env: { ...process.env, LIMITS_DIR: workspace.dir }, timeout: 120_000, maxBuffer: 1 << 24 })).stdout.trim();

  const pairNs = {} as Record<Mechanism, number>;
  const handoffUs = {} as Record<Mechanism, LatencySummary>;
  for (const mechanism of mechanisms) {
    pairNs[mechanism] = Number(await limits('pair', mechanism, budget.pairs, budget.rounds));
    const samples = (await limits('handoff', mechanism, budget.handoffs)).split(' ').map((ns) => Number(ns) / 1e3);
    handoffUs[mechanism] = summarize(samples);
  }
  const contend = async (mechanism: Mechanism, processes: number, seconds: number): Promise<CContention> => {
    const [acquisitions, retakes, min, max] = (await limits('contend', mechanism, processes, Math.round(seconds * 1e3))).split(' ').map(Number);
    return { acquisitions: acquisitions!, retakes: retakes!, min: min!, max: max!, seconds };
  };
  return { compiler, pairNs, handoffUs, budget, contend };
}
