#!/usr/bin/env node
// lockwright's install step. The package ships prebuilt addons (prebuilds/<platform>-<arch>/),
// so most installs do nothing here. Without a matching prebuild:
//  - no C++ toolchain: the install still succeeds (Redis, SQL and in-memory stores need no
//    addon) and we say once what FlockStore/SemaphoreStore need; constructing one later
//    throws NotSupportedError with the same hint;
//  - a toolchain: we build with node-gyp, and a failed build fails the install loudly,
//    since a compiler that cannot build the addon is a problem its owner must see.
// CommonJS on purpose: it runs before anything is built and on every Node `engines` admits.
'use strict';
const { spawnSync } = require('node:child_process');
const { accessSync, constants } = require('node:fs');
const { delimiter, join } = require('node:path');

const root = join(__dirname, '..');
const tag = `${process.platform}-${process.arch}`;

function hasAddon() {
  try {
    require('node-gyp-build').path(root);
    return true;
  } catch {
    return false;
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {}
  }
  return false;
}

function missingTools() {
  const missing = [];
  if (!onPath('make')) missing.push('make');
  if (!['c++', 'g++', 'clang++'].some(onPath)) missing.push('a C++17 compiler (g++ or clang++)');
  if (!['python3', 'python'].some(onPath)) missing.push('python3');
  return missing;
}

function nodeGypCommand() {
  // npm tells lifecycle scripts where its bundled node-gyp is; a node-gyp of our own
  // (devDependency) or on PATH will do otherwise.
  const bundled = process.env.npm_config_node_gyp;
  if (bundled) return [process.execPath, [bundled, 'rebuild']];
  try {
    const pkg = require('node-gyp/package.json');
    const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin['node-gyp'];
    return [process.execPath, [join(require.resolve('node-gyp/package.json'), '..', bin), 'rebuild']];
  } catch {
    return ['node-gyp', ['rebuild']];
  }
}

function main() {
  if (hasAddon()) return 0;
  const missing = missingTools();
  if (missing.length > 0) {
    process.stderr.write(
      `lockwright: no prebuilt native addon for ${tag}, and no toolchain to build one (missing: ${missing.join(', ')}).\n` +
        'lockwright: installed without it. RedisStore, the SQL stores and InMemoryStore work; FlockStore and\n' +
        'lockwright: SemaphoreStore will throw NotSupportedError. To build the addon, install python3, make and\n' +
        "lockwright: g++ (Debian/Ubuntu: apt-get install python3 make g++), then run 'npm rebuild lockwright'.\n",
    );
    return 0;
  }
  const [command, args] = nodeGypCommand();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status === 0) return 0;
  process.stderr.write(
    `\nlockwright: building the native addon for ${tag} FAILED (${result.error ? result.error.message : `node-gyp exited with ${result.status ?? result.signal}`}).\n` +
      'lockwright: the compiler output is above. The addon is needed by FlockStore and SemaphoreStore only;\n' +
      "lockwright: fix the toolchain and run 'npm rebuild lockwright'.\n",
  );
  return 1;
}

process.exitCode = main();
