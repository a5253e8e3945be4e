// What the numbers were measured on.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, release, totalmem } from 'node:os';

export function describeMachine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const memory = Math.round(totalmem() / 2 ** 30);
  return `${cpus().length} × ${cpu}, ${memory} GiB, Linux ${release()}, Node ${process.version}`;
}

/** Filesystem type and device of `dir` (where every lock file of the run lives). */
export function describeFilesystem(dir: string): string {
  try {
    const [, line] = execFileSync('df', ['--output=fstype,source', dir], { encoding: 'utf8' }).trim().split('\n');
    const [type, source] = line!.trim().split(/\s+/);
    return `${type} (${source}), lock files in the run's temporary directory`;
  } catch {
    return 'unknown';
  }
}

/** Installed versions of the peers measured (from their package.json). */
export function describePeers(): string {
  const peers = ['proper-lockfile', 'fs-ext', 'os-lock', 'fs-native-extensions', 'redlock', '@sesamecare-oss/redlock', 'redis-semaphore', 'ioredis', 'advisory-lock', 'pg', 'mysql2', 'better-sqlite3', 'memcached', 'node-zookeeper-client'];
  const require = createRequire(import.meta.url);
  return peers
    .map((name) => {
      try {
        return `${name} ${(require(`${name}/package.json`) as { version: string }).version}`;
      } catch {
        return `${name} (not installed)`;
      }
    })
    .join(', ');
}
