// rediss:// and Unix-socket DSNs connect for real: a redis-server of this test listens
// on a socket, another with TLS only (a self-signed certificate made here by openssl).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, Key, LockFactory, LockStorageError, RedisStore, createStore } from '../../../src/index.js';
import { RedisServer, ready } from '../../helpers/redis-server.js';
import { tempDir } from '../../helpers/tmp.js';

const opened: RedisStore[] = [];
afterAll(() => Promise.all(opened.map((s) => s.close())));

function store(dsn: string): RedisStore {
  const made = createStore(dsn) as RedisStore;
  expect(made).toBeInstanceOf(RedisStore);
  opened.push(made);
  return made;
}

/** A self-signed certificate for 127.0.0.1 and localhost. */
function selfSigned(): { certFile: string; keyFile: string } {
  const dir = tempDir();
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
      { stdio: 'ignore' },
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('openssl is not installed: apt-get install openssl');
    throw error;
  }
  return { certFile, keyFile };
}

describe('Redis DSNs over other transports', () => {
  it('locks over a Unix socket (redis:///path?db=N)', async () => {
    const server = await RedisServer.start({ unixSocket: true });
    const admin = await ready(server.client());
    const lock = new LockFactory(store(`redis://${server.socket}?db=2`)).createLock('over-socket', { ttl: 30_000 });
    expect(await lock.acquire()).toBe(true);
    await admin.select(2);
    expect(await admin.type('over-socket')).toBe('zset');
    expect(await admin.pttl('over-socket')).toBeGreaterThan(0);
    // The store's connection is the socket's, as the server sees it.
    const connections = String(await admin.client('LIST')).split('\n');
    expect(connections.some((line) => line.includes(server.socket) && / db=2 /.test(line))).toBe(true);
    await lock.release();
    expect(await admin.exists('over-socket')).toBe(0);
  });

  it('locks over TLS (rediss://), checking the certificate against tls_ca_file', async () => {
    const tls = selfSigned();
    const server = await RedisServer.start({ tls });
    const admin = await ready(server.client({ tls: { ca: readFileSync(tls.certFile) } }));
    const caFile = encodeURIComponent(tls.certFile);

    const lock = new LockFactory(store(`rediss://127.0.0.1:${server.port}/1?tls_ca_file=${caFile}`)).createLock('over-tls');
    expect(await lock.acquire()).toBe(true);
    await admin.select(1);
    expect(await admin.type('over-tls')).toBe('zset');
    await lock.release();

    // Without the CA, the self-signed certificate is refused: TLS really checks.
    const untrusted = store(`rediss://127.0.0.1:${server.port}?connect_timeout=2000`);
    const refused = (await untrusted.save(new Key('over-tls-untrusted')).catch((e: unknown) => e)) as Error;
    expect(refused).toBeInstanceOf(LockStorageError);
    // …unless told not to check (tls_reject_unauthorized=0: for tests, never production).
    const unchecked = store(`rediss://127.0.0.1:${server.port}?tls_reject_unauthorized=0`);
    const key = new Key('over-tls-unchecked');
    await unchecked.save(key);
    expect(await unchecked.exists(key)).toBe(true);
    await unchecked.delete(key);
    // Plain redis:// to a TLS-only port gets nowhere.
    const plain = store(`redis://127.0.0.1:${server.port}?connect_timeout=1000`);
    expect(await plain.save(new Key('over-plain')).catch((e: unknown) => e)).toBeInstanceOf(LockStorageError);
  });

  it('refuses TLS options without rediss://, and a CA file that cannot be read', () => {
    expect(() => createStore('redis://h?tls_ca_file=/etc/ssl/ca.pem')).toThrow(/needs rediss:\/\//);
    expect(() => createStore('redis://h?tls_reject_unauthorized=0')).toThrow(InvalidArgumentError);
    expect(() => createStore('rediss://h?tls_ca_file=relative.pem')).toThrow(/absolute path/);
    expect(() => createStore('rediss://:hunter2@h?tls_ca_file=/nonexistent/ca.pem')).toThrow(/cannot be read/);
    expect(() => createStore('rediss://:hunter2@h?tls_ca_file=/nonexistent/ca.pem')).not.toThrow(/hunter2/);
  });
});
