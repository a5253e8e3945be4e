// Driving a PHP fixture that uses Symfony's own lock stores: `try-*` modes answer once,
// `hold-*` modes take the lock and keep it until told to release (a line on stdin).
import { execFileSync, spawn } from 'node:child_process';

export interface PhpFixture {
  tryOnce(resource: string, mode: 'try-write' | 'try-read'): string;
  hold(resource: string, mode: 'hold-write' | 'hold-read'): Promise<{ release(): Promise<void> }>;
}

/** `args(resource, mode)` gives the fixture's command line after `php`. */
export function phpFixture(args: (encodedResource: string, mode: string) => string[]): PhpFixture {
  const argv = (resource: string, mode: string) => args(Buffer.from(resource).toString('base64'), mode);
  return {
    tryOnce: (resource, mode) => execFileSync('php', argv(resource, mode), { encoding: 'utf8' }).trim(),
    async hold(resource, mode) {
      const child = spawn('php', argv(resource, mode), { stdio: ['pipe', 'pipe', 'inherit'] });
      let output = '';
      await new Promise<void>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (code) => reject(new Error(`php exited early with ${code}: ${output}`)));
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('held')) resolve();
        });
      });
      child.removeAllListeners('exit');
      return {
        release: () =>
          new Promise<void>((resolve) => {
            child.once('exit', () => resolve());
            child.stdin.end('\n');
          }),
      };
    },
  };
}
