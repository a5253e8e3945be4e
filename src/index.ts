import './core/debug-log.js';
export { Key, type SerializedKey } from './core/key.js';
export { Lock, type LockOptions, type Logger } from './core/lock.js';
export {
  channels,
  channelNames,
  type LockMessage,
  type AcquireMessage,
  type ConflictMessage,
  type ReleaseMessage,
  type RefreshMessage,
  type LostMessage,
  type ExpiredMessage,
  semaphoreChannels,
  semaphoreChannelNames,
  type SemaphoreMessage,
} from './core/diagnostics.js';
export { LockFactory, DEFAULT_TTL } from './core/lock-factory.js';
export { MultiLock, type MultiLockOptions } from './core/multi-lock.js';
export type { AcquireOptions } from './core/wait.js';
export { parseDuration, formatDuration, MIN_TTL_MS, MAX_TTL_MS, type Duration } from './core/duration.js';
export {
  isBlockingStore,
  isSharedLockStore,
  isBlockingSharedLockStore,
  verifiesDelete,
  type VerifiedDeleteStore,
  type PersistingStore,
  type BlockingStore,
  type SharedLockStore,
  type BlockingSharedLockStore,
  type WaitOptions,
} from './core/store.js';
export {
  LockError,
  LockConflictedError,
  LockAcquiringError,
  LockReleasingError,
  LockExpiredError,
  LockStorageError,
  InvalidArgumentError,
  InvalidTtlError,
  NotSupportedError,
  UnserializableKeyError,
  SemaphoreAcquiringError,
  SemaphoreReleasingError,
  SemaphoreExpiredError,
} from './core/errors.js';
export { SemaphoreKey, type SerializedSemaphoreKey } from './semaphore/semaphore-key.js';
export { Semaphore, type SemaphoreOptions } from './semaphore/semaphore.js';
export { SemaphoreFactory, type CreateSemaphoreOptions } from './semaphore/semaphore-factory.js';
export { isBlockingPermitStore, type PermitStore, type BlockingPermitStore } from './semaphore/permit-store.js';
export { LockPermitStore } from './semaphore/lock-permit-store.js';
export { createPermitStore, type ClosablePermitStore } from './stores/create-permit-store.js';
export { InMemoryStore, type InMemoryStoreOptions } from './stores/memory/in-memory-store.js';
export { NullStore } from './stores/memory/null-store.js';
export { FlockStore, type FlockStoreOptions } from './stores/local/flock-store.js';
export { SemaphoreStore, type SemaphoreStoreOptions } from './stores/local/semaphore-store.js';
export { SysvPermitStore, type SysvPermitStoreOptions } from './stores/local/sysv-permit-store.js';
export { isNativeAvailable } from './native.js';
export { RedisStore, type RedisStoreOptions } from './stores/redis/redis-store.js';
export { RedisPermitStore, type RedisPermitStoreOptions } from './stores/redis/redis-permit-store.js';
export type { RedisClient, RedisSubscriberClient } from './stores/redis/client.js';
export { SqlStore, lockId as sqlLockId } from './stores/sql/sql-store.js';
export type { SqlStoreOptions } from './stores/sql/options.js';
export type { SqlClient, PgClient, MysqlClient, SqliteDatabase } from './stores/sql/client.js';
export { PostgreSqlStore, type PostgreSqlStoreOptions } from './stores/postgres/postgresql-store.js';
export type { PostgresClient } from './stores/postgres/client.js';
export { MysqlStore, type MysqlStoreOptions } from './stores/mysql/mysql-store.js';
export type { MysqlConnection } from './stores/mysql/client.js';
export { MemcachedStore, type MemcachedStoreOptions } from './stores/memcached/memcached-store.js';
export type { MemcachedClient } from './stores/memcached/client.js';
export { ZookeeperStore, type ZookeeperStoreOptions } from './stores/zookeeper/zookeeper-store.js';
export type { ZookeeperClient } from './stores/zookeeper/client.js';
export { CombinedStore, type CombinedStoreOptions } from './stores/combined/combined-store.js';
export { ConsensusStrategy, UnanimousStrategy, type Strategy } from './stores/combined/strategies.js';
export { createStore } from './stores/create-store.js';
export { LockManager, type ExecuteOptions, type WaitAndExecuteOptions, type LockedCallback } from './manager/lock-manager.js';
export type { LockManagerConfig, StoreConfig, RetryConfig } from './manager/config.js';
export type { LockMetrics } from './manager/metrics.js';
export type { Distribution } from './manager/histogram.js';
