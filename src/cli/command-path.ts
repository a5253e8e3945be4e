// Finding the command before starting it, as execvp(3) and a shell would, so that
// "not found" (127) and "not executable" (126) are told apart and reported by
// lockwright with the command's name, whatever wrapper the command is started through.
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { CliExit, EXIT } from './exit-codes.js';

/** Returns the file that will run `command`; throws CliExit 127 or 126 otherwise. */
export function findCommand(command: string, path = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string {
  const candidates = command.includes('/') ? [command] : path.split(':').map((dir) => join(dir === '' ? '.' : dir, command));
  let refused: string | null = null;
  for (const candidate of candidates) {
    let isFile: boolean;
    try {
      isFile = statSync(candidate).isFile();
    } catch {
      continue;
    }
    if (!isFile) {
      refused ??= `${candidate} is a directory or a special file`;
      continue;
    }
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      refused ??= `${candidate} is not executable (permission denied)`;
    }
  }
  if (refused !== null) throw new CliExit(EXIT.cannotExecute, `cannot run ${command}: ${refused}.`);
  throw new CliExit(EXIT.notFound, `cannot run ${command}: command not found${command.includes('/') ? '' : ' in PATH'}.`);
}
