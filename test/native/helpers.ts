import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNative, type NativeBinding, type NativeError } from '../../src/native.js';

export const native: NativeBinding = loadNative();
export const fixturesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

export function tempDir(prefix = 'lockwright-native-'): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function catchError(fn: () => unknown): NativeError {
  try {
    fn();
  } catch (error) {
    return error as NativeError;
  }
  throw new Error('expected an exception');
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true; false after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 1000): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (performance.now() > end) return false;
    await new Promise<void>((resolve) => setTimeout(resolve, 1));
  }
}

export function openFdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** Random System V key and fingerprint (both 15-bit halves non-zero); removed by `removeSemaphore`. */
export function randomSemaphore(): { key: number; fingerprint: number } {
  const key = 0x4c000000 + Math.floor(Math.random() * 0x00ffffff) + 1;
  const hi = 1 + Math.floor(Math.random() * 0x7ffe);
  const lo = 1 + Math.floor(Math.random() * 0x7ffe);
  return { key, fingerprint: hi * 0x8000 + lo };
}

export function hexKey(key: number): string {
  return '0x' + key.toString(16).padStart(8, '0');
}

export function removeSemaphore(key: number): void {
  try {
    execFileSync('ipcrm', ['-S', hexKey(key)], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

export function semaphoreExists(key: number): boolean {
  return execFileSync('ipcs', ['-s'], { encoding: 'utf8' }).includes(hexKey(key));
}

export interface Child {
  proc: ChildProcess;
  /** Resolves with the next stdout line matching `pattern`. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  send(text: string): void;
  exit(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

export function startFixture(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(process.execPath, [path.join(fixturesDir, name), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const w of waiters.splice(0)) w();
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => {
      for (const w of waiters.splice(0)) w();
      resolve({ code, signal });
    }),
  );
  let consumed = 0;
  return {
    proc,
    output: () => out + err,
    send: (text) => proc.stdin!.write(text + '\n'),
    line(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`fixture ${name}: no ${pattern} within ${timeoutMs} ms; output:\n${out}${err}`)),
          timeoutMs,
        );
        const check = () => {
          const lines = out.slice(consumed).split('\n');
          let offset = consumed;
          for (let i = 0; i < lines.length - 1; i++) {
            offset += lines[i]!.length + 1;
            if (pattern.test(lines[i]!)) {
              consumed = offset;
              clearTimeout(timer);
              resolve(lines[i]!);
              return;
            }
          }
          if (proc.exitCode !== null || proc.signalCode !== null) {
            clearTimeout(timer);
            reject(new Error(`fixture ${name} exited before ${pattern}; output:\n${out}${err}`));
            return;
          }
          waiters.push(check);
        };
        check();
      });
    },
    exit(timeoutMs = 10_000) {
      return Promise.race([
        exited,
        sleep(timeoutMs).then(() => {
          proc.kill('SIGKILL');
          throw new Error(`fixture ${name} did not exit within ${timeoutMs} ms; output:\n${out}${err}`);
        }),
      ]);
    },
  };
}
