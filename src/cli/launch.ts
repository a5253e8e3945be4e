// How `run` starts the command so that it never runs on without the lock when
// lockwright itself dies (SIGKILL, the OOM killer), which a signal handler cannot catch:
//
// - flock stores (a name or a path): the command inherits the locked descriptor, as
//   with flock(1). The lock belongs to the open file description, so it stays held
//   while the command (or anything that inherited the descriptor from it) still runs,
//   and a second `run` waits or gives up. The command keeps running, holding the lock.
// - every other store (System V semaphores, Redis, …): the lock cannot be handed over
//   (SEM_UNDO gives it back when we die; a Redis key expires), so the command is
//   killed with us: started through util-linux `setpriv --pdeathsig KILL`, whose
//   parent-death signal the kernel delivers when lockwright's main thread ends, however
//   it ends. A tiny `sh` step then checks that lockwright is still its parent, closing
//   the window where lockwright died before the signal was armed, and execs the command.
//   Where setpriv is missing (not Linux, no util-linux) `run` says so on stderr and
//   runs the command without that guard.
import type { StdioOptions } from 'node:child_process';
import { findCommand } from './command-path.js';

export interface Launch {
  file: string;
  args: string[];
  argv0?: string;
  stdio: StdioOptions;
  /** For --verbose and the warning: how the command is tied to the lock. */
  how: string;
  /** Set when the command is not protected against our death: a warning to print. */
  warning?: string;
}

// $1: our pid, then the command. $PPID is read when sh starts, after setpriv armed the
// parent-death signal: if it is no longer us, we died in between and nobody will
// signal this process, so it stops here.
const GUARD = '[ "$PPID" = "$1" ] || exit 70; shift; exec "$@"';

/**
 * `command` is the name the user gave (checked with findCommand first: 127/126).
 * `lockFds`: the descriptors of a held flock lock, or null for other stores.
 */
export function planLaunch(command: string, args: string[], lockFds: number[] | null): Launch {
  const file = findCommand(command);
  if (lockFds !== null && lockFds.length > 0) {
    return {
      file,
      args,
      argv0: command,
      stdio: ['inherit', 'inherit', 'inherit', ...lockFds],
      how: `the command inherits the locked descriptor as fd 3${lockFds.length > 1 ? `-${2 + lockFds.length}` : ''}`,
    };
  }
  const setpriv = process.platform === 'linux' ? findSetpriv() : null;
  if (setpriv === null) {
    return {
      file,
      args,
      argv0: command,
      stdio: 'inherit',
      how: 'the command is not tied to lockwright',
      warning:
        'setpriv (util-linux) is not available: if lockwright is killed, the command runs on without the lock. ' +
        'Install util-linux (apt-get install util-linux), or use an flock store, whose lock the command inherits.',
    };
  }
  return {
    file: setpriv,
    args: ['--pdeathsig', 'KILL', '/bin/sh', '-c', GUARD, 'lockwright-guard', String(process.pid), command, ...args],
    stdio: 'inherit',
    how: 'the command gets SIGKILL if lockwright dies (setpriv --pdeathsig)',
  };
}

function findSetpriv(): string | null {
  try {
    return findCommand('setpriv', `${process.env.PATH ?? ''}:/usr/bin:/bin:/usr/sbin:/sbin`);
  } catch {
    return null;
  }
}
