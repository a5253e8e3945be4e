// Symfony's PostgreSqlStore lock id: PHP crc32() of the resource (an unsigned 32-bit
// number on 64-bit PHP), given to the single-bigint pg_advisory_* functions. The same
// number makes a Symfony process and a lockwright process exclude each other; in
// pg_locks it shows as classid 0, objid = the crc, objsubid 1. Different resources can
// share an id (a crc32 collision): they then exclude each other, in every process.
import { crc32 } from 'node:zlib';

export function advisoryLockId(resource: string): number {
  return crc32(Buffer.from(resource, 'utf8'));
}
