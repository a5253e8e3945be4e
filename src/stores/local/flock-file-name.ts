// Lock file names exactly as Symfony's FlockStore makes them, so that a PHP process
// using FlockStore on the same directory and a lockwright process lock the same file.
import { createHash } from 'node:crypto';

/**
 * `sf.<name>.<hash>.lock`: <name> is the resource with every run of characters outside
 * [a-z0-9._-] replaced by one "-", cut to 50 characters; <hash> is the first 7
 * characters of base64(sha256(resource)) with "/" turned into "_". The result never
 * contains a path separator, whatever the resource holds ("../x", "/", NUL, …).
 */
export function flockFileName(resource: string): string {
  const name = resource.replace(/[^a-z0-9._-]+/gi, '-').slice(0, 50);
  const hash = createHash('sha256').update(resource, 'utf8').digest('base64').slice(0, 7).replaceAll('/', '_');
  return `sf.${name}.${hash}.lock`;
}
