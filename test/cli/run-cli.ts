// Spawning the built CLI (dist/cli/main.js) as a user does, for the CLI tests. Holders
// run test/fixtures/cli-command.mjs, which holds until the test creates its release
// file: a test says when a holder stops, so no test depends on how fast a busy machine
// spawns processes.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { tempDir } from '../helpers/tmp.js';

export const bin = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const fixture = fileURLToPath(new URL('../fixtures/cli-command.mjs', import.meta.url));
const releaseDir = tempDir();
let holds = 0;

const releaseFiles = new Set<string>();

/** `node cli-command.mjs --until <fresh file> …`: a command that holds until release(). */
export function holdCommand(...args: string[]): string[] {
  const file = join(releaseDir, `release-${holds++}`);
  releaseFiles.add(file);
  return [process.execPath, fixture, '--until', file, ...args];
}

/** Kills `child` after the test, should the test fail before it ends. */
export function track<T extends ChildProcess>(child: T): T {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Ends the hold command found in `argv` (creates its --until file). */
export function release(argv: string[]): void {
  const at = argv.indexOf('--until');
  if (at < 0) throw new Error('no hold command (--until) in these arguments');
  writeFileSync(argv[at + 1]!, '');
}

const running = new Set<ChildProcess>();
const commandPids = new Set<number>();
afterEach(() => {
  // Every hold command ends, even one whose wrapper is gone (it inherited the lock).
  for (const file of releaseFiles) writeFileSync(file, '');
  releaseFiles.clear();
  for (const child of running) child.kill('SIGKILL');
  running.clear();
  for (const pid of commandPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  commandPids.clear();
});

export function lockwright(args: string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    timeout: options.timeout ?? 30_000,
    ...(options.env && { env: options.env }),
  });
}

export interface Running {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  stdout(): string;
  stderr(): string;
  /** The pid printed by the fixture command ("ready <pid>"), once it runs. */
  commandPid(): Promise<number>;
  /** Ends the fixture command (its --until file), or closes its stdin when it has none. */
  finish(): void;
}

/** Starts `lockwright …` in the background, stdin a pipe the test closes with finish(). */
export function start(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Running {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'], ...(options.env && { env: options.env }) });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin!.on('error', () => {}); // the command may be gone already
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    commandPid: async () => {
      await until(() => /ready \d+/.test(stdout), `the command of "lockwright ${args.join(' ')}" to start`, 30_000, () => stderr);
      const pid = Number(/ready (\d+)/.exec(stdout)![1]);
      commandPids.add(pid);
      return pid;
    },
    finish: () => (args.includes('--until') ? release(args) : child.stdin!.end()),
  };
}

/** Polls `check` until true; generous bounds only (it waits for events, not for time). */
export async function until(check: () => boolean, what: string, ms = 30_000, detail?: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Whether a process is alive (a zombie counts as dead: it only waits to be reaped). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
