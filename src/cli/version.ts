// `lockwright --version`: the version of the installed package, read from its
// package.json (dist/cli/ and src/cli/ both sit two levels below it).
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  const json = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof json.version === 'string' ? json.version : 'unknown';
}
