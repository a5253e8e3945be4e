import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

const holderScript = fileURLToPath(new URL('../fixtures/lock-holder.mjs', import.meta.url));
const children = new Set<ChildProcess>();

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

export interface Reply {
  acquired?: boolean;
  [field: string]: unknown;
  released?: boolean;
  at?: string;
  error?: { message: string; code: string; name: string };
}

/** A child process holding locks on command; killed after each test. */
export class LockHolder {
  readonly child: ChildProcess;
  #next = 0;
  readonly #pending = new Map<number, (reply: Reply) => void>();
  readonly ready: Promise<void>;

  /**
   * `script`: the fixture to run (default: fixtures/lock-holder.mjs); `env`: the child's
   * whole environment (default: this process's).
   */
  constructor(script = holderScript, env?: NodeJS.ProcessEnv) {
    this.child = fork(script, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...(env ? { env } : {}) });
    children.add(this.child);
    this.ready = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.on('message', (message: Reply & { id?: number; ready?: boolean }) => {
        if (message.ready) resolve();
        if (message.id !== undefined) {
          this.#pending.get(message.id)?.(message);
          this.#pending.delete(message.id);
        }
      });
    });
  }

  async send(command: Record<string, unknown>): Promise<Reply> {
    await this.ready;
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.child.send({ ...command, id });
    });
  }

  /** Resolves with the exit code/signal when the child ends. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return Promise.resolve({ code: this.child.exitCode, signal: this.child.signalCode });
    }
    return new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }
}
