// Who holds an flock lock, as Linux tells it in /proc/locks (no lock is taken to look).
import { readFileSync, statSync } from 'node:fs';

export interface FlockHolder {
  pid: number;
  mode: 'shared' | 'exclusive';
}

/** Holders of flock locks on `path` (waiters excluded); null when /proc/locks is unavailable. */
export function flockHolders(path: string): FlockHolder[] | null {
  let table: string;
  try {
    table = readFileSync('/proc/locks', 'utf8');
  } catch {
    return null;
  }
  const stat = statSync(path, { bigint: true });
  const dev = stat.dev;
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  const holders: FlockHolder[] = [];
  for (const line of table.split('\n')) {
    // "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; blocked waiters have "->".
    const match = /^\d+:\s+FLOCK\s+\S+\s+(READ|WRITE)\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (!match) continue;
    const [, access, pid, maj, min, ino] = match;
    if (BigInt(ino!) !== stat.ino || BigInt(`0x${maj}`) !== major || BigInt(`0x${min}`) !== minor) continue;
    holders.push({ pid: Number(pid), mode: access === 'READ' ? 'shared' : 'exclusive' });
  }
  return holders;
}
