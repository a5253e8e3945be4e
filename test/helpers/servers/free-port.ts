// A TCP port on 127.0.0.1 that nothing listens on now, for a server a test or the bench
// starts: the kernel picks it (port 0), so parallel test files never collide.
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
