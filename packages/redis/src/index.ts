export type {
  AdminOptions,
  ClearFilter,
  InspectedEntry,
  NamespaceStats,
  ScanProgress,
  StoreStats,
} from './admin.js';
export { clearEntries, collectStats, connectRedis, inspectEntry } from './admin.js';
export type { VectorEncoding } from './entry-format.js';
export type { RedisClient } from './redis-client.js';
export type { RedisIndexStats, RedisStoreOptions, SemanticIndexMode } from './redis-store.js';
export { RedisStore } from './redis-store.js';
