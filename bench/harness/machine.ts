// What the numbers were measured on.
import { cpus, release } from 'node:os';

export function describeMachine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, Linux ${release()}, Node ${process.version}`;
}
