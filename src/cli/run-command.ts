// `lockwright run [options] <resource> [--] <command> [args…]`: run a command while
// holding a lock, in the spirit of util-linux flock(1). The command never runs on
// without the lock: if lockwright dies, launch.ts says what happens to it; if a
// remote lock is lost while it runs, --on-lost kill (the default) stops it.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { formatDuration } from './duration.js';
import { CliExit, EXIT } from './exit-codes.js';
import { planLaunch, type Launch } from './launch.js';
import { openHolding, type Holding } from './run-holding.js';
import type { StoreSource } from './store-option.js';

export interface RunOptions {
  nonblock?: boolean;
  /** Milliseconds; 0 behaves as --nonblock. */
  wait?: number;
  shared?: boolean;
  conflictExitCode: number;
  /** Undefined: flock in the private per-user directory. */
  store?: StoreSource;
  /** Milliseconds. */
  ttl: number;
  verbose?: boolean;
  /** Run through /bin/sh -c instead of argv. */
  command?: string;
  /** What to do when the lock is lost while the command runs. Default 'kill'. */
  onLost?: 'kill' | 'warn';
  /** Milliseconds between SIGTERM and SIGKILL when --on-lost kill stops the command. */
  killAfter?: number;
  /** More resources, locked with the first as one (all or nothing). */
  also?: string[];
  /** A semaphore: at most this many commands at once hold a permit of the resource. */
  limit?: number;
}

export const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export async function runCommand(name: string, argv: string[], options: RunOptions): Promise<number> {
  const say = (message: string) => options.verbose && process.stderr.write(`lockwright: ${message}\n`);
  const [file, args] = options.command !== undefined ? ['/bin/sh', ['-c', options.command]] : [argv[0]!, argv.slice(1)];
  const holding = openHolding(name, {
    also: options.also ?? [],
    ...(options.limit !== undefined && { limit: options.limit }),
    shared: options.shared === true,
    ttl: options.ttl,
    store: options.store,
  });
  try {
    const started = performance.now();
    if (!(await acquire(holding, options, say))) {
      say(`${holding.what} is held by someone else; giving up after ${formatDuration(performance.now() - started)}`);
      return options.conflictExitCode;
    }
    try {
      const launch = planLaunch(file, args, holding.inheritableFds());
      if (launch.warning) process.stderr.write(`lockwright: ${launch.warning}\n`);
      say(`holding ${holding.what} (${holding.mode}, ${holding.storeName}) after ${formatDuration(performance.now() - started)}; running ${file}: ${launch.how}`);
      return await runChild(launch, holding, options);
    } finally {
      try {
        await holding.release();
        say(`released ${holding.what}`);
      } catch (error) {
        process.stderr.write(`lockwright: could not release ${holding.what}: ${(error as Error).message}\n`);
      }
    }
  } finally {
    await holding.close();
  }
}

async function acquire(holding: Holding, options: RunOptions, say: (message: string) => void): Promise<boolean> {
  if (options.nonblock || options.wait === 0) return holding.take(false);
  if (await holding.take(false)) return true;
  say(`waiting for ${holding.what} (${holding.mode})${options.wait === undefined ? '' : ` for up to ${formatDuration(options.wait)}`}`);
  // Ctrl-C or a TERM while waiting stops the wait cleanly: nothing stays held.
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => controller.abort(new CliExit(128 + constants.signals[signal], `interrupted by ${signal} while waiting`));
  const handlers = FORWARDED.map((signal) => [signal, () => stop(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const started = performance.now();
  const progress = setInterval(() => say(`still waiting for ${holding.what} (${formatDuration(performance.now() - started)})`), 5_000);
  try {
    return await holding.take({ signal: controller.signal, ...(options.wait !== undefined && { timeout: options.wait }) });
  } finally {
    clearInterval(progress);
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}

/**
 * Runs the command with our stdio, forwarding signals; resolves with its exit status,
 * or EXIT.lockLost when --on-lost kill stopped it because the lock was lost.
 */
function runChild(launch: Launch, holding: Holding, options: RunOptions): Promise<number> {
  // Read once, now: after the holding ends, `signal` is a new, already-aborted signal
  // whose reason says "not held", not why the lock was lost.
  const held = holding.signal;
  return new Promise((resolve, reject) => {
    const child = spawn(launch.file, launch.args, { stdio: launch.stdio, ...(launch.argv0 !== undefined && { argv0: launch.argv0 }) });
    let stopping = false;
    let killTimer: NodeJS.Timeout | undefined;
    const forward = FORWARDED.map((signal) => [signal, () => child.kill(signal)] as const);
    for (const [signal, handler] of forward) process.on(signal, handler);
    const onLost = () => {
      const reason = held.reason as Error | undefined;
      const why = reason?.message ?? String(reason);
      if (options.onLost === 'warn') {
        process.stderr.write(`lockwright: lost ${holding.noun} ${holding.what} while the command runs (--on-lost warn: it runs on): ${why}\n`);
        return;
      }
      const grace = options.killAfter ?? 10_000;
      process.stderr.write(`lockwright: lost ${holding.noun} ${holding.what} while the command runs: ${why}; stopping it (SIGTERM, SIGKILL after ${formatDuration(grace)})\n`);
      stopping = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), grace);
    };
    held.addEventListener('abort', onLost, { once: true });
    const cleanup = () => {
      held.removeEventListener('abort', onLost);
      clearTimeout(killTimer);
      for (const [signal, handler] of forward) process.off(signal, handler);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      cleanup();
      const code = error.code === 'ENOENT' ? EXIT.notFound : EXIT.cannotExecute;
      reject(new CliExit(code, `cannot run ${launch.argv0 ?? launch.file}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      cleanup();
      if (stopping) resolve(EXIT.lockLost);
      else resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}
