// `lockwright run <resource> [options] -- <command> [args…]`: run a command while
// holding a lock, in the spirit of util-linux flock(1).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { LockFactory } from '../core/lock-factory.js';
import { CliExit, EXIT } from './exit-codes.js';
import { formatDuration } from './duration.js';
import { closeStore, openStoreFor } from './store-option.js';

export interface RunOptions {
  nonblock?: boolean;
  /** Milliseconds; 0 behaves as --nonblock. */
  wait?: number;
  shared?: boolean;
  conflictExitCode: number;
  store?: string;
  /** Milliseconds. */
  ttl: number;
  verbose?: boolean;
  /** Run through /bin/sh -c instead of argv. */
  command?: string;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

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
    say(`holding "${resource}" (${mode}, ${store.constructor.name}) after ${formatDuration(performance.now() - started)}; running ${file}`);
    lock.signal.addEventListener('abort', () => {
      const reason = lock.signal.reason as Error | undefined;
      if (reason?.name !== 'AbortError') process.stderr.write(`lockwright: lost the lock "${resource}" while the command runs: ${reason?.message}\n`);
    });
    try {
      return await runChild(file, args);
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

async function acquire(
  lock: import('../core/lock.js').Lock,
  options: RunOptions,
  say: (message: string) => void,
  mode: string,
): Promise<boolean> {
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

/** Runs the command with our stdio, forwarding signals; resolves with its exit status. */
function runChild(file: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit' });
    const forward = FORWARDED.map((signal) => [signal, () => child.kill(signal)] as const);
    for (const [signal, handler] of forward) process.on(signal, handler);
    const cleanup = () => {
      for (const [signal, handler] of forward) process.off(signal, handler);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      cleanup();
      const code = error.code === 'ENOENT' ? EXIT.notFound : EXIT.cannotExecute;
      reject(new CliExit(code, `cannot run ${file}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      cleanup();
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}
