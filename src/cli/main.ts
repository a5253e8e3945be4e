#!/usr/bin/env node
// The `lockwright` executable: run a command under a lock, or look at locks.
import { Command, CommanderError, Option } from 'commander';
import { InvalidArgumentError, LockError } from '../core/errors.js';
import { parseDuration } from './duration.js';
import { CliExit, EXIT } from './exit-codes.js';
import { formatList, listLocks } from './list-command.js';
import { runCommand } from './run-command.js';
import { STORE_VARIABLE, storeSource } from './store-option.js';
import { formatStatus, lockStatus } from './status-command.js';
import { packageVersion } from './version.js';

/** --store and --store-file, on every command. */
function withStoreOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--store <dsn>',
        `where locks live: flock, flock:///dir, semaphore, redis://host:port, … (default: $${STORE_VARIABLE}, else flock in a private per-user directory). ` +
          'Every user can read a command line: put a DSN with a password in a file or in the environment instead',
      ),
    )
    .addOption(new Option('--store-file <path>', 'read the store DSN from the first line of this file (chmod 600 it: it may hold a password)'));
}

function exitCode(text: string): number {
  const code = Number(text);
  if (!Number.isInteger(code) || code < 0 || code > 255) throw new InvalidArgumentError(`-E: "${text}" is not an exit code (0-255).`);
  return code;
}

function program(): Command {
  const cli = new Command('lockwright')
    .description('Run commands under a lock, and look at locks (flock(2), System V semaphores, Redis).')
    .version(packageVersion(), '-V, --version', 'print the version of lockwright')
    .showHelpAfterError()
    // `run`'s options end at the resource, as flock(1)'s do: what follows is the command's.
    .enablePositionalOptions()
    .exitOverride();

  withStoreOptions(cli.command('run'))
    .description('run a command while holding a lock (or several: --also; or one of n permits: --limit), like flock(1); exits with the command\'s status')
    .argument('<resource>', 'the lock name; a path (anything with a "/": /var/lock/x.lock, ./x.lock) locks that file, as flock(1) does')
    .argument('[command...]', 'the command and its arguments (options after the resource are the command\'s)')
    .passThroughOptions()
    .option('-n, --nonblock', 'fail rather than wait if the lock is held (flock(1) also spells it --nb)')
    .addOption(new Option('--nb').hideHelp())
    .option('-w, --wait <duration>', 'wait at most this long (500ms, 30s, 5m; a bare number is seconds; also --timeout)')
    .addOption(new Option('--timeout <duration>').hideHelp())
    .option('-s, --shared', 'take a shared (read) lock')
    .option('-x, --exclusive', 'take an exclusive lock (the default; also -e)')
    .addOption(new Option('-e').hideHelp())
    .option('-E, --conflict-exit-code <n>', 'exit status when busy (-n) or timed out (-w)', '1')
    .option('-c, --command <string>', 'run this string with /bin/sh -c instead of a command after --')
    .option('--ttl <duration>', 'lock lifetime on expiring stores, refreshed while the command runs', '5m')
    .addOption(
      new Option('--on-lost <action>', 'when the lock is lost while the command runs (a remote lock that expired or was taken): kill stops the command (SIGTERM, then SIGKILL) and exits 75; warn only says so')
        .choices(['kill', 'warn'])
        .default('kill'),
    )
    .option('--kill-after <duration>', 'with --on-lost kill: SIGKILL this long after the SIGTERM', '10s')
    .option(
      '--also <resource>',
      'lock this resource too, with <resource>, all or nothing (repeat it for more); locks are taken in one sorted order, so runs naming them in any order never deadlock',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--limit <n>',
      'a semaphore instead of a lock: at most n commands hold <resource> at once. --store then names a permit store: semaphore (System V, the default on Linux), redis://…, lock+<lock store DSN> (e.g. lock+flock:///dir: n slot locks)',
    )
    .option('-v, --verbose', 'say what is waited for, and for how long')
    .addHelpText('after', `
Examples:
  lockwright run nightly-import -- node import.js
  lockwright run -n deploy -- ./deploy.sh          exit 1 at once if a deploy runs
  lockwright run -w 30s --store redis://cache:6379 report -- make report
  lockwright run -n /var/lock/backup.lock rsync -a src/ dst/   the file flock(1) locks too
  lockwright run --also invoices orders -- ./close-month.sh     "orders" and "invoices" as one
  lockwright run --limit 4 encoders -- ffmpeg -i in.mov out.mp4  at most 4 at once on this host
  LOCKWRIGHT_STORE=redis://:secret@cache:6379 lockwright run report -- make report
  lockwright run --store-file /etc/lockwright/store report -- make report

Options end at the resource, as with flock(1): everything after it is the command.

If lockwright itself is killed, the command does not run on without the lock: on
flock stores it inherits the locked descriptor (as with flock(1)) and holds the lock
until it ends; on other stores it is killed with lockwright (setpriv --pdeathsig KILL).

Exit status: the command's (128+N if killed by signal N); the -E code (default 1)
when busy or timed out; 64 bad usage; 69 store unavailable; 75 the lock was lost and
--on-lost kill stopped the command; 126/127 command not executable / not found.`)
    .action(async (resource: string, rest: string[], opts: Record<string, string | boolean | string[] | undefined>) => {
      const command = commandWords(rest);
      // flock(1)'s other spellings of the same options.
      if (opts.wait !== undefined && opts.timeout !== undefined) throw new InvalidArgumentError('--wait and --timeout are the same option: give one.');
      opts.wait ??= opts.timeout;
      opts.nonblock ||= opts.nb;
      opts.exclusive ||= opts.e;
      if (opts.shared && opts.exclusive) throw new InvalidArgumentError('-s and -x contradict each other.');
      if (opts.command === undefined && command.length === 0) throw new InvalidArgumentError('run needs a command after -- (or -c "string").');
      if (opts.command !== undefined && command.length > 0) throw new InvalidArgumentError('give the command either after -- or with -c, not both.');
      if (opts.nonblock && opts.wait !== undefined) throw new InvalidArgumentError('-n and -w contradict each other.');
      const status = await runCommand(resource, command, {
        nonblock: opts.nonblock === true,
        ...(opts.wait !== undefined && { wait: parseDuration(opts.wait as string, '-w') }),
        shared: opts.shared === true,
        conflictExitCode: exitCode(opts.conflictExitCode as string),
        store: storeSource(opts as { store?: string; storeFile?: string }),
        ttl: positiveDuration(opts.ttl as string, '--ttl'),
        verbose: opts.verbose === true,
        ...(opts.command !== undefined && { command: opts.command as string }),
        onLost: opts.onLost as 'kill' | 'warn',
        killAfter: positiveDuration(opts.killAfter as string, '--kill-after'),
        also: opts.also as unknown as string[],
        ...(opts.limit !== undefined && { limit: permitLimit(opts.limit as string) }),
      });
      process.exitCode = status;
    });

  withStoreOptions(cli.command('status'))
    .description('tell whether a lock is held, and by which process where the OS can tell (flock, /proc/locks)')
    .argument('<resource>', 'the lock name, or a lock file\'s path (as list prints them)')
    .option('--json', 'print a JSON object')
    .addHelpText('after', '\nExit status: 0 free, 1 held, 64 bad usage, 69 store unavailable.')
    .action(async (resource: string, opts: { store?: string; storeFile?: string; json?: boolean }) => {
      const report = await lockStatus(resource, storeSource(opts));
      process.stdout.write(`${opts.json ? JSON.stringify(report) : formatStatus(report)}\n`);
      process.exitCode = report.held ? 1 : 0;
    });

  withStoreOptions(cli.command('list'))
    .description('list the lock files of an flock directory and who holds them')
    .option('--json', 'print a JSON object')
    .action(async (opts: { store?: string; storeFile?: string; json?: boolean }) => {
      const listing = await listLocks(storeSource(opts));
      process.stdout.write(`${opts.json ? JSON.stringify(listing) : formatList(listing)}\n`);
    });

  return cli;
}

/**
 * The command after the resource. A "--" before it is optional (flock(1) takes both);
 * a first word that looks like an option is one of ours put after the resource, which
 * flock(1) would not accept either: say so rather than try to run "-n" as a command.
 */
function commandWords(rest: string[]): string[] {
  if (rest[0] === '--') return rest.slice(1);
  if (rest[0]?.startsWith('-')) {
    throw new InvalidArgumentError(
      `"${rest[0]}" comes after the resource: options go before it, as with flock(1) ` +
        '(lockwright run [options] <resource> [--] <command> [args…]); to run a command named like an option, put -- before it.',
    );
  }
  return rest;
}

/** --limit: how many commands at once. */
function permitLimit(text: string): number {
  const limit = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(limit) || limit < 1) {
    throw new InvalidArgumentError(`--limit: "${text}" is not a number of permits (a whole number from 1, e.g. --limit 4).`);
  }
  return limit;
}

function positiveDuration(text: string, option: string): number {
  const ms = parseDuration(text, option);
  if (ms <= 0) throw new InvalidArgumentError(`${option} must be longer than zero.`);
  return ms;
}

async function main(argv: string[]): Promise<void> {
  const cli = program();
  try {
    await cli.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; any other parse error is a usage error.
      process.exitCode = error.exitCode === 0 || error.code === 'commander.helpDisplayed' ? 0 : EXIT.usage;
      return;
    }
    if (error instanceof CliExit) {
      process.stderr.write(`lockwright: ${error.message}\n`);
      process.exitCode = error.code;
      return;
    }
    if (error instanceof InvalidArgumentError) {
      process.stderr.write(`lockwright: ${error.message}\n\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    if (error instanceof LockError) {
      const cause = error.cause instanceof Error ? ` (${error.cause.message.replace(/\.$/, '')})` : '';
      process.stderr.write(`lockwright: ${error.message.replace(/\.$/, '')}${cause}\n`);
      process.exitCode = EXIT.unavailable;
      return;
    }
    process.stderr.write(`lockwright: unexpected failure: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = EXIT.software;
  }
}

await main(process.argv);
