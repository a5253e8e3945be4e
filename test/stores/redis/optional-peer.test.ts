// ioredis is an optional peer dependency: the built package must load without it, and a
// redis DSN must then say what to install. Checked on a copy of dist/ whose node_modules
// has every package but ioredis.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { tempDir } from '../../helpers/tmp.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

it('loads without ioredis, and a redis DSN (lock or permit store) asks for it with NotSupportedError', () => {
  const dir = tempDir();
  cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  mkdirSync(join(dir, 'node_modules'));
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name !== 'ioredis' && !name.startsWith('.')) {
      symlinkSync(join(root, 'node_modules', name), join(dir, 'node_modules', name));
    }
  }
  const script = `
    const m = await import(${JSON.stringify(join(dir, 'dist', 'index.js'))});
    const out = [typeof m.RedisStore, m.createStore('in-memory').constructor.name];
    try { m.createStore('redis://:hunter2@localhost'); } catch (e) { out.push(e.name, e.message); }
    out.push(typeof m.RedisPermitStore);
    try { m.createPermitStore('redis://:hunter2@localhost'); } catch (e) { out.push(e.name, e.message); }
    console.log(JSON.stringify(out));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' });
  const [type, memory, name, message, permitType, permitName, permitMessage] = JSON.parse(output) as string[];
  expect(type).toBe('function');
  expect(memory).toBe('InMemoryStore');
  expect(name).toBe('NotSupportedError');
  expect(message).toMatch(/npm install ioredis/);
  expect(message).not.toContain('hunter2');
  // The same for a redis:// permit store (RedisPermitStore).
  expect(permitType).toBe('function');
  expect(permitName).toBe('NotSupportedError');
  expect(permitMessage).toMatch(/npm install ioredis/);
  expect(permitMessage).not.toContain('hunter2');
});
