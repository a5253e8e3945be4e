// One server process (redis-server, memcached, ZooKeeper) on a port of its own, with a
// scratch directory: (re)started on that same port until it proves ready, stopped with
// SIGTERM (SIGKILL should it hang), killed outright. Fault tests stop and restart it;
// the bench starts it once. Nothing here imports vitest, so that the bench can use it:
// the test files' lifecycle (stopped after the file) lives in the wrappers beside
// test/helpers/servers/.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How to run the server: `aptPackage` is what to install when `command` is missing. */
export interface ServerCommand {
  command: string;
  args: string[];
  aptPackage: string;
}

// Enough of a server's output to explain why it died; kept as a tail because the pipes
// are drained for the server's whole life (a full pipe would block its logging).
const OUTPUT_KEPT = 64 * 1024;
const POLL_MS = 25;

export abstract class ServerProcess {
  readonly port: number;
  /** The server's own directory (data, config, sockets); kill() removes it. */
  readonly dir: string;
  #child: ChildProcess | null = null;

  constructor(port: number, name: string) {
    this.port = port;
    this.dir = mkdtempSync(join(tmpdir(), `lockwright-${name}-`));
  }

  /** What to spawn; called at every (re)start, so it may write config files first. */
  protected abstract command(): ServerCommand;
  /** Whether the server serves yet, given its output so far (polled until it does). */
  protected abstract isReady(output: string): Promise<boolean>;
  /** The running server's version, as the bench's report prints it. */
  abstract version(): Promise<string>;
  /** How long a SIGTERM may take before SIGKILL. */
  protected readonly stopGraceMs: number = 3_000;
  /** How long a start may take before it fails. */
  protected readonly readyWithinMs: number = 10_000;

  get running(): boolean {
    return this.#child !== null;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** (Re)starts the server on its port, resolving once it is ready (at once if it runs). */
  async restart(): Promise<void> {
    if (this.#child) return;
    const { command, args, aptPackage } = this.command();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    let output = '';
    const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_KEPT));
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    let died: Error | null = null;
    child.once('error', (error: NodeJS.ErrnoException) => {
      died = error.code === 'ENOENT' ? new Error(`${command} is not installed: apt-get install ${aptPackage}`) : error;
    });
    child.once('exit', (code, signal) => {
      died ??= new Error(`${command} on port ${this.port} exited with ${code ?? signal}: ${output.trim()}`);
      if (this.#child === child) this.#child = null;
    });
    const deadline = Date.now() + this.readyWithinMs;
    try {
      while (!(await this.isReady(output))) {
        if (died) throw died;
        if (Date.now() > deadline) throw new Error(`${command} on port ${this.port} was not ready within ${this.readyWithinMs} ms: ${output.trim()}`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } catch (error) {
      // A server that never became ready must not linger on the port.
      if (this.#child === child) this.#child = null;
      child.kill('SIGKILL');
      throw error;
    }
  }

  /** Stops the server (SIGTERM, then SIGKILL after the grace period); restart() may follow. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = null;
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), this.stopGraceMs).unref();
    });
  }

  /** Kills the server and removes its directory: synchronous, for exit hooks and disposal. */
  kill(): void {
    this.#child?.kill('SIGKILL');
    this.#child = null;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
