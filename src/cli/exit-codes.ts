// Exit codes, flock(1)-compatible where flock has one (sysexits.h).
export const EXIT = {
  /** Busy (-n) or the wait timed out (-w): flock's default, overridden by -E. */
  conflict: 1,
  /** Bad command line (EX_USAGE). */
  usage: 64,
  /** The lock store failed or cannot be reached (EX_UNAVAILABLE). */
  unavailable: 69,
  /**
   * The lock was lost while the command ran and --on-lost kill stopped the command
   * (EX_TEMPFAIL: try again later).
   */
  lockLost: 75,
  /** A bug (EX_SOFTWARE). */
  software: 70,
  /** The command exists but cannot be executed (as a shell reports it). */
  cannotExecute: 126,
  /** The command was not found (as a shell reports it). */
  notFound: 127,
} as const;

/** A failure that ends the CLI with `code` after printing `message` on stderr. */
export class CliExit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
