// Driving a PHP fixture that uses Symfony's own lock stores: `try-*` modes answer once,
// `hold-*` modes take the lock and keep it until told to release (a line on stdin).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

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

/**
 * Fails the test file, naming the Debian packages to install, unless `php` runs with the
 * given extensions and Symfony files. Interop is never skipped: a skipped interop test
 * would hide exactly the break it exists to catch.
 */
export function requirePhp(needs: { extensions?: string[]; files?: string[]; packages: string[] }): void {
  let modules: string;
  try {
    modules = execFileSync('php', ['-m'], { encoding: 'utf8' });
  } catch {
    throw new Error(`The PHP interop tests need php: apt-get install ${needs.packages.join(' ')}`);
  }
  const missing = [
    ...(needs.extensions ?? []).filter((ext) => !new RegExp(`^${ext}$`, 'mi').test(modules)).map((ext) => `the PHP extension ${ext}`),
    ...(needs.files ?? []).filter((file) => !existsSync(file)),
  ];
  if (missing.length > 0) {
    throw new Error(`The PHP interop tests need ${missing.join(', ')}: apt-get install ${needs.packages.join(' ')}`);
  }
}
