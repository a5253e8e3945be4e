// `npm run prebuild` produces a prebuilt addon, and with PREBUILDS_ONLY=1 that file is
// what loads. Done in a scratch copy of the package, so the working build stays put
// (prebuildify moves the .node out of build/Release).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('prebuilds', () => {
  it('npm run prebuild makes a libc-tagged N-API build that loads with PREBUILDS_ONLY=1', () => {
    const scratch = join(tempDir(), 'pkg');
    mkdirSync(scratch);
    for (const entry of ['package.json', 'binding.gyp', 'native']) cpSync(join(root, entry), join(scratch, entry), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'));
    execFileSync('npm', ['run', '--silent', 'prebuild'], { cwd: scratch, stdio: 'pipe', timeout: 240_000 });

    const folder = join(scratch, 'prebuilds', `${process.platform}-${process.arch}`);
    expect(existsSync(folder)).toBe(true);
    const files = readdirSync(folder);
    expect(files).toEqual([process.platform === 'linux' ? 'lockwright.glibc.node' : 'lockwright.node']);

    const probe = `
      const load = require('node-gyp-build');
      const path = load.path(process.cwd());
      const binding = load(process.cwd());
      const info = binding.buildInfo();
      console.log(JSON.stringify({ path, napi: info.napiVersion }));`;
    const result = spawnSync(process.execPath, ['-e', probe], {
      cwd: scratch,
      env: { ...process.env, PREBUILDS_ONLY: '1' },
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as { path: string; napi: number };
    expect(report.path).toBe(join(folder, files[0]!));
    expect(report.napi).toBe(8);
    // And the mapping in memory is that very file (not build/Release).
    const maps = spawnSync(process.execPath, ['-e', `require('node-gyp-build')(process.cwd()); process.stdout.write(require('fs').readFileSync('/proc/self/maps', 'utf8'))`], {
      cwd: scratch,
      env: { ...process.env, PREBUILDS_ONLY: '1' },
      encoding: 'utf8',
    });
    expect(maps.stdout).toContain(join(folder, files[0]!));
    expect(maps.stdout).not.toContain(join(scratch, 'build', 'Release'));
  }, 300_000);
});
