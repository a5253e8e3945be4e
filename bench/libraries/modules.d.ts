// Just enough typing for the peers that ship none.

declare module 'fs-ext' {
  export function flock(fd: number, flags: 'sh' | 'ex' | 'shnb' | 'exnb' | 'un', callback: (error: NodeJS.ErrnoException | null) => void): void;
  export function flockSync(fd: number, flags: 'sh' | 'ex' | 'shnb' | 'exnb' | 'un'): void;
}

declare module 'fs-native-extensions' {
  export function tryLock(fd: number, options?: { shared?: boolean }): boolean;
  export function waitForLock(fd: number, options?: { shared?: boolean }): Promise<void>;
  export function unlock(fd: number): void;
}

declare module 'redlock' {
  import type { EventEmitter } from 'node:events';
  interface RedlockLock {
    unlock(): PromiseLike<void>;
  }
  class Redlock extends EventEmitter {
    constructor(clients: unknown[], options?: { driftFactor?: number; retryCount?: number; retryDelay?: number; retryJitter?: number });
    lock(resource: string, ttl: number): PromiseLike<RedlockLock>;
  }
  export = Redlock;
}
