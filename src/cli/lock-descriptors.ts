// The open descriptors of this process that refer to a lock file, found by device and
// inode (fstat) among the entries of /proc/self/fd (Linux) or /dev/fd (BSD, macOS).
// `run` hands them to the command, as flock(1) does: an flock(2) lock belongs to the
// open file description, so the command holds the lock with us, and keeps holding it
// if we are killed. The addon opens lock files O_CLOEXEC and does not expose the
// descriptor; asking the kernel which descriptor is the file needs no change there.
import { fstatSync, readdirSync, statSync } from 'node:fs';

/** Descriptors open on `file` (usually one: the locked one); [] when none can be found. */
export function descriptorsOf(file: string): number[] {
  const target = statSync(file, { bigint: true });
  for (const dir of ['/proc/self/fd', '/dev/fd']) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    const found: number[] = [];
    for (const name of names) {
      const fd = Number(name);
      if (!Number.isInteger(fd) || fd <= 2) continue;
      try {
        const stat = fstatSync(fd, { bigint: true });
        if (stat.ino === target.ino && stat.dev === target.dev) found.push(fd);
      } catch {
        // closed meanwhile (the directory listing's own descriptor, for one)
      }
    }
    return found;
  }
  return [];
}
