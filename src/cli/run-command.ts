// `lockwright run [options] <resource> [--] <command> [args…]`: run a command while
// holding a lock, in the spirit of util-linux flock(1). The command never runs on
// without the lock: if lockwright dies, launch.ts says what happens to it; if a
// remote lock is lost while it runs, --on-lost kill (the default) stops it.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Lock } from '../core/lock.js';
import { LockFactory } from '../core/lock-factory.js';
import { FlockStore } from '../stores/local/flock-store.js';
import { formatDuration } from './duration.js';
import { CliExit, EXIT } from './exit-codes.js';
import { planLaunch, type Launch } from './launch.js';
import { descriptorsOf } from './lock-descriptors.js';
import { closeStore, openStoreFor, type StoreSource } from './store-option.js';

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
}

export const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export async function runCommand(name: string, argv: string[], options: RunOptions): Promise<number> {
  const say = (message: string) => options.verbose && process.stderr.write(`lockwright: ${message}\n`);
  const [file, args] = options.command !== undefined ? ['/bin/sh', ['-c', options.command]] : [argv[0]!, argv.slice(1)];
  const { store, resource } = openStoreFor(name, options.store);
  try {
    const lock = new LockFactory(store).createLock(resource, { ttl: options.ttl, autoRefresh: true, autoRelease: false });
    const mode = options.shared ? 'shared' : 'exclusive';
    const started = performance.now();
    if (!(await acquire(lock, options, say, mode))) {
      say(`"${resource}" is held by someone else; giving up after ${formatDuration(performance.now() - started)}`);
      return options.conflictExitCode;
    }
    try {
      const launch = planLaunch(file, args, store instanceof FlockStore ? descriptorsOf(store.pathFor(resource)) : null);
      if (launch.warning) process.stderr.write(`lockwright: ${launch.warning}\n`);
      say(`holding "${resource}" (${mode}, ${store.constructor.name}) after ${formatDuration(performance.now() - started)}; running ${file}: ${launch.how}`);
      return await runChild(launch, lock, resource, options);
    } finally {
      try {
        await lock.release();
        say(`released "${resource}"`);
      } catch (error) {
        process.stderr.write(`lockwright: could not release "${resource}": ${(error as Error).message}\n`);
      }
    }
  } finally {
    await closeStore(store);
  }
}

async function acquire(lock: Lock, options: RunOptions, say: (message: string) => void, mode: string): Promise<boolean> {
  const take = (o: Parameters<typeof lock.acquire>[0]) => (options.shared ? lock.acquireRead(o) : lock.acquire(o));
  if (options.nonblock || options.wait === 0) return take(false);
  if (await take(false)) return true;
  say(`waiting for "${lock.key.resource}" (${mode})${options.wait === undefined ? '' : ` for up to ${formatDuration(options.wait)}`}`);
  // Ctrl-C or a TERM while waiting stops the wait cleanly: nothing stays held.
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => controller.abort(new CliExit(128 + constants.signals[signal], `interrupted by ${signal} while waiting`));
  const handlers = FORWARDED.map((signal) => [signal, () => stop(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const started = performance.now();
  const progress = setInterval(() => say(`still waiting for "${lock.key.resource}" (${formatDuration(performance.now() - started)})`), 5_000);
  try {
    return await take({ signal: controller.signal, ...(options.wait !== undefined && { timeout: options.wait }) });
  } finally {
    clearInterval(progress);
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}

/**
 * Runs the command with our stdio, forwarding signals; resolves with its exit status,
 * or EXIT.lockLost when --on-lost kill stopped it because the lock was lost.
 */
function runChild(launch: Launch, lock: Lock, resource: string, options: RunOptions): Promise<number> {
  // Read once, now: after the holding ends, `lock.signal` is a new, already-aborted
  // signal whose reason says "not held", not why the lock was lost.
  const held = lock.signal;
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
        process.stderr.write(`lockwright: lost the lock "${resource}" while the command runs (--on-lost warn: it runs on): ${why}\n`);
        return;
      }
      const grace = options.killAfter ?? 10_000;
      process.stderr.write(`lockwright: lost the lock "${resource}" while the command runs: ${why}; stopping it (SIGTERM, SIGKILL after ${formatDuration(grace)})\n`);
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
