// What a user gets from the registry: `npm pack` of this repo (in a scratch copy, so the
// working build stays put), installed into an empty project by an npm whose PATH has
// node, npm and sh but no compiler and no make. The prebuilt addon must be what loads,
// from import and from require, and the bin must run. Then the two ways an install can
// lack an addon: no prebuild and no toolchain (installs, local stores say what to do),
// and a toolchain whose build breaks (the install fails, loudly).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../helpers/redis-server.js';
import { tempDir } from '../helpers/tmp.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const work = tempDir('lockwright-pack-');

/** A directory holding only node, npm, npx and sh: a machine without a C/C++ toolchain. */
function noCompilerPath(): string {
  const bin = join(work, 'bin');
  mkdirSync(bin, { recursive: true });
  // node is the one running this test (Node 24 in CI's second run); npm and npx are the
  // machine's, found on PATH (a Node from the npm package "node" brings no npm of its own).
  symlinkSync(process.execPath, join(bin, 'node'));
  for (const tool of ['npm', 'npx']) symlinkSync(onPath(tool), join(bin, tool));
  symlinkSync('/bin/sh', join(bin, 'sh'));
  return bin;
}

function onPath(tool: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, tool))) return realpathSync(join(dir, tool));
  }
  throw new Error(`${tool} is not on PATH`);
}

function scratchCopy(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  for (const entry of ['package.json', 'binding.gyp', 'native', 'src', 'scripts', 'docs', 'README.md', 'tsconfig.json', 'tsconfig.build.json']) {
    cpSync(join(root, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function emptyProject(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true }));
  return dir;
}

let bin: string;
let tarball: string;
let project: string;
let pkgDir: string;
let installLog: string;
let packedFiles: string[] = [];

const env = () => ({ ...process.env, PATH: bin, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' });

beforeAll(() => {
  bin = noCompilerPath();
  const scratch = scratchCopy('repo');
  // prepack builds dist/ and the prebuild (its compiler output goes to stdout, so the
  // tarball's name and file list are read afterwards rather than from --json).
  execFileSync('npm', ['pack', '--pack-destination', work], { cwd: scratch, stdio: 'ignore', timeout: 400_000 });
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  packedFiles = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
  project = emptyProject('app');
  installLog = execFileSync('npm', ['install', '--foreground-scripts', '--prefer-offline', tarball, 'ioredis@5'], {
    cwd: project,
    env: env(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
  pkgDir = join(project, 'node_modules', 'lockwright');
}, 720_000);

describe('the npm tarball', () => {
  it('ships the prebuild, dist, the CLI, types, docs and the install script, and nothing test-only', () => {
    expect(packedFiles).toContain('prebuilds/linux-x64/lockwright.glibc.node');
    expect(packedFiles).toContain('dist/index.js');
    expect(packedFiles).toContain('dist/index.d.ts');
    expect(packedFiles).toContain('dist/cli/main.js');
    expect(packedFiles).toContain('scripts/install.cjs');
    expect(packedFiles).toContain('docs/redis.md');
    // Every doc the README links is in the tarball.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const [, link] of readme.matchAll(/\]\((docs\/[^)#\s]+)/g)) expect(packedFiles).toContain(link);
    for (const file of packedFiles) {
      expect(file).not.toMatch(/^(test|bench|src|\.ci)\/|\.map$|\.test\.|vitest|tsconfig/);
    }
  });

  it('installs without a compiler and builds nothing', () => {
    expect(spawnSync('sh', ['-c', 'command -v make g++ cc c++'], { env: env() }).stdout.toString()).toBe('');
    expect(existsSync(join(pkgDir, 'build'))).toBe(false);
    expect(readdirSync(join(pkgDir, 'prebuilds', 'linux-x64'))).toEqual(['lockwright.glibc.node']);
    expect(installLog).not.toMatch(/gyp|FAILED/);
  });

  it('loads the prebuild from import and require; a lock in one process excludes another', async () => {
    const dir = join(work, 'locks');
    mkdirSync(dir);
    cpSync(join(fixtures, 'installed-holder.mjs'), join(project, 'holder.mjs'));
    cpSync(join(fixtures, 'installed-probe.cjs'), join(project, 'probe.cjs'));
    const running = spawn(process.execPath, [join(project, 'holder.mjs'), dir], { cwd: project, env: env(), stdio: ['pipe', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => createInterface({ input: running.stdout! }).once('line', resolve));
    const held = JSON.parse(line) as { held: boolean; addon: string };
    expect(held.addon).toBe(join(pkgDir, 'prebuilds', 'linux-x64', 'lockwright.glibc.node'));

    const probe = () => JSON.parse(execFileSync(process.execPath, [join(project, 'probe.cjs'), dir], { cwd: project, env: env(), encoding: 'utf8' })) as { acquired: boolean };
    expect(probe().acquired).toBe(false);
    running.stdin!.end();
    await new Promise((resolve) => running.once('exit', resolve));
    expect(probe().acquired).toBe(true);
  });

  it('runs the bin through npx', () => {
    const out = execFileSync('npx', ['--no-install', 'lockwright', '--version'], { cwd: project, env: env(), encoding: 'utf8' });
    expect(out.trim()).toBe(version);
  });
});

describe('an install with no addon', () => {
  it('without a prebuild or a toolchain: installs, says why once, the Redis store works, local stores throw NotSupportedError', async () => {
    const copy = emptyProject('no-addon');
    cpSync(join(project, 'node_modules'), join(copy, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    const pkg = join(copy, 'node_modules', 'lockwright');
    rmSync(join(pkg, 'prebuilds'), { recursive: true });

    const install = spawnSync(process.execPath, ['scripts/install.cjs'], { cwd: pkg, env: env(), encoding: 'utf8' });
    expect(install.status).toBe(0);
    expect(install.stderr).toMatch(/no prebuilt native addon for linux-x64, and no toolchain to build one \(missing: make/);
    expect(install.stderr).toMatch(/apt-get install python3 make g\+\+/);
    expect(existsSync(join(pkg, 'build'))).toBe(false);

    const redis = await RedisServer.start();
    const script = `
      import { FlockStore, SemaphoreStore, SysvPermitStore, LockFactory, createStore, NotSupportedError } from 'lockwright';
      const out = {};
      for (const Store of [FlockStore, SemaphoreStore, SysvPermitStore]) {
        try { new Store(); out[Store.name] = 'constructed'; }
        catch (e) { out[Store.name] = { notSupported: e instanceof NotSupportedError, message: e.message }; }
      }
      const store = createStore(${JSON.stringify(redis.url)});
      const lock = new LockFactory(store).createLock('no-addon');
      out.redis = await lock.acquire(false);
      await lock.release();
      await store.close();
      console.log(JSON.stringify(out));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: copy, env: env(), encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as Record<string, { notSupported: boolean; message: string } | boolean>;
    expect(out.redis).toBe(true);
    for (const name of ['FlockStore', 'SemaphoreStore', 'SysvPermitStore']) {
      const result = out[name] as { notSupported: boolean; message: string };
      expect(result.notSupported).toBe(true);
      expect(result.message).toMatch(/install python3, make and a C\+\+17 compiler.*npm rebuild lockwright/);
    }
  }, 60_000);

  it('with a toolchain whose build breaks: the install fails and says so', () => {
    const copy = join(work, 'broken');
    mkdirSync(copy);
    for (const entry of ['package.json', 'binding.gyp', 'native', 'scripts']) cpSync(join(root, entry), join(copy, entry), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
    writeFileSync(join(copy, 'native', 'addon.cc'), 'this is not C++;\n');
    const result = spawnSync(process.execPath, ['scripts/install.cjs'], { cwd: copy, encoding: 'utf8', timeout: 240_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/building the native addon for linux-x64 FAILED/);
    expect(result.stderr).toMatch(/addon\.cc/); // the compiler's own words are shown, not swallowed
  }, 240_000);
});
