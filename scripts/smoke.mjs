// Smoke test of the built package on whatever Node runs it (CI: Node 22): the ESM entry
// and require() of it load, the addon loads, a FlockStore lock excludes a second process,
// and the CLI prints its version. Exits non-zero with the reason on any failure.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = join(root, 'dist', 'index.js');
const esm = await import(entry);
const cjs = createRequire(import.meta.url)(entry);
if (esm.LockFactory !== cjs.LockFactory) throw new Error('import and require gave different modules');

const dir = mkdtempSync(join(tmpdir(), 'lockwright-smoke-'));
try {
  const lock = new esm.LockFactory(new esm.FlockStore(dir)).createLock('smoke');
  if (!(await lock.acquire(false))) throw new Error('a free lock was not acquired');
  const probe = `require(${JSON.stringify(entry)}); const l = require(${JSON.stringify(entry)});
    new l.LockFactory(new l.FlockStore(${JSON.stringify(dir)})).createLock('smoke').acquire(false).then((a) => process.stdout.write(String(a)));`;
  const busy = execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  if (busy !== 'false') throw new Error(`another process took a held lock (${busy})`);
  await lock.release();
  const free = execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  if (free !== 'true') throw new Error(`another process could not take a released lock (${free})`);
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const printed = execFileSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), '--version'], { encoding: 'utf8' }).trim();
  if (printed !== version) throw new Error(`lockwright --version printed ${printed}, expected ${version}`);
  console.log(`smoke test passed on Node ${process.version}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
