// Stores that hold connections (a RedisStore made from a DSN) have close(); the others
// need nothing. Callers that opened a store close it through this.
import type { PersistingStore } from '../core/store.js';

export async function closeStore(store: PersistingStore): Promise<void> {
  const closable = store as { close?: () => unknown };
  if (typeof closable.close === 'function') await closable.close();
}
