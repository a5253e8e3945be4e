// What a test file started is undone after it: its clients closed first (while their
// servers still answer), then its servers stopped and their directories removed. Should
// the file crash, its servers are killed on exit. Vitest runs each file in a process of
// its own, so this module, and these hooks, exist once per file.
import { afterAll } from 'vitest';

interface OwnedServer {
  stop(): Promise<void>;
  kill(): void;
}

const servers = new Set<OwnedServer>();
const closers = new Set<() => unknown>();

afterAll(async () => {
  await Promise.all([...closers].map((close) => close()));
  closers.clear();
  await Promise.all([...servers].map((server) => server.stop()));
  for (const server of servers) server.kill();
  servers.clear();
});
process.on('exit', () => {
  for (const server of servers) server.kill();
});

/** Stops `server` after the test file (and kills it on exit). */
export function stopAfterFile<T extends OwnedServer>(server: T): T {
  servers.add(server);
  return server;
}

/** Runs `close` after the test file, before the servers stop (for clients). */
export function closeAfterFile(close: () => unknown): void {
  closers.add(close);
}
