// Child processes of a scenario: TypeScript scripts under bench/children/, run as the
// JavaScript child-scripts.ts makes of them, talking JSON messages over the IPC channel. Every child is killed at the end of
// the run (or earlier with kill()), whatever happened.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { childScriptPath } from './child-scripts.js';
import type { Workspace } from './workspace.js';

export type Message = { type: string } & Record<string, unknown>;

export class Child {
  readonly #process: ChildProcess;
  readonly #inbox: Message[] = [];
  readonly #readers: Array<(message: Message) => void> = [];
  #exit: string | undefined;

  constructor(workspace: Workspace, script: string, args: unknown[], options: { env?: NodeJS.ProcessEnv; nodeFlags?: string[] } = {}) {
    this.#process = fork(childScriptPath(script), args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))), {
      execArgv: options.nodeFlags ?? [],
      env: options.env ?? process.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#process.on('message', (message: Message) => {
      const reader = this.#readers.shift();
      if (reader) reader(message);
      else this.#inbox.push(message);
    });
    this.#process.on('exit', (code, signal) => {
      this.#exit = `${script} exited (${signal ?? `code ${code}`})`;
    });
    workspace.onDispose(() => this.kill());
  }

  get pid(): number {
    return this.#process.pid!;
  }

  send(message: Message): void {
    if (this.#process.connected) this.#process.send(message);
  }

  /** The next message; rejects after `timeoutMs` or when the child dies first. */
  next(timeoutMs = 30_000): Promise<Message> {
    const queued = this.#inbox.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const reader = (message: Message) => {
        clearTimeout(timer);
        clearInterval(watch);
        resolve(message);
      };
      const fail = (why: string) => {
        const index = this.#readers.indexOf(reader);
        if (index >= 0) this.#readers.splice(index, 1);
        clearTimeout(timer);
        clearInterval(watch);
        reject(new Error(why));
      };
      const timer = setTimeout(() => fail(`no message from child ${this.pid} within ${timeoutMs} ms`), timeoutMs);
      const watch = setInterval(() => this.#exit && fail(this.#exit), 50);
      this.#readers.push(reader);
    });
  }

  /** The next message, which must be of `type` (an error message from the child throws). */
  async expect(type: string, timeoutMs?: number): Promise<Message> {
    const message = await this.next(timeoutMs);
    if (message.type === 'error') throw new Error(`child ${this.pid}: ${String(message.message)}`);
    if (message.type !== type) throw new Error(`child ${this.pid}: expected "${type}", got ${JSON.stringify(message)}`);
    return message;
  }

  /** CPU seconds (user + system, all threads) the child has used so far. */
  cpuSeconds(): number {
    return processCpuSeconds(this.pid);
  }

  kill(): void {
    if (this.#process.exitCode === null && this.#process.signalCode === null) this.#process.kill('SIGKILL');
  }

  /** Kills the child and resolves once it is gone. */
  async stop(): Promise<void> {
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#process.once('exit', resolve));
    this.#process.kill('SIGKILL');
    await exited;
  }
}

/** Starts `count` children of one script and waits until each has said "ready". */
export async function startChildren(workspace: Workspace, script: string, args: unknown[], count: number): Promise<Child[]> {
  const children = Array.from({ length: count }, () => new Child(workspace, script, args));
  await Promise.all(children.map((child) => child.expect('ready')));
  return children;
}

/**
 * Starts a child per item all at once (a child's startup is the slow part of most rows)
 * and waits until each has said "ready". Measurements then take turns.
 */
export async function startChildPerItem<T>(items: T[], start: (item: T) => Child): Promise<Map<T, Child>> {
  const children = new Map(items.map((item) => [item, start(item)] as const));
  await Promise.all([...children.values()].map((child) => child.expect('ready')));
  return children;
}

export async function stopAll(children: Iterable<Child>): Promise<void> {
  await Promise.all([...children].map((child) => child.stop()));
}

// utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (USER_HZ = 100
// on every Linux architecture Node runs on).
const TICKS_PER_SECOND = 100;

export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Threads of a process now (Threads: line of /proc/<pid>/status). */
export function processThreads(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Threads:\s+(\d+)/m.exec(status)?.[1]);
}
