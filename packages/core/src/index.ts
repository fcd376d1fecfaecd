export type { CacheKeyOptions, CacheKeys, SemanticTextPolicy } from './cache-key.js';
export { deriveCacheKeys, keySchemaVersion } from './cache-key.js';
export type { ComputedResponse } from './cache-policy.js';
export {
  defaultStorableFinishReasons,
  isDeterministicRequest,
  isStorableResponse,
} from './cache-policy.js';
export type {
  CacheMessage,
  CacheParams,
  CachePart,
  CacheRequest,
  CacheResponseFormat,
  CacheScope,
  CacheTool,
} from './cache-request.js';
export type {
  CacheStore,
  FlightCoordinator,
  StoreMatch,
  StoreRecord,
  StoreSearch,
} from './cache-store.js';
export { canonicalJson } from './canonical-json.js';
export type { CircuitBreakerOptions } from './circuit-breaker.js';
export { CircuitBreaker } from './circuit-breaker.js';
export type { CacheEntry, EntryUsage } from './codec.js';
export { codecVersion, decodeEntry, encodeEntry } from './codec.js';
export type { Embedder } from './embedder.js';
export type { EncryptionKey, EncryptionOptions, EntryCipher } from './encryption.js';
export { createEntryCipher } from './encryption.js';
export type { SemcacheErrorCode } from './errors.js';
export { describeValue, isSemcacheError, SemcacheError } from './errors.js';
export type { CacheEventListener, CacheEventName, CacheEvents, MissReason } from './events.js';
export type { SemanticGuard } from './guards.js';
export {
  antonymGuard,
  defaultGuards,
  identifierGuard,
  negationGuard,
  numbersGuard,
  vetoReason,
  wordOrderGuard,
} from './guards.js';
export { hash32, sha256Hex } from './hash.js';
export type { JsonObject, JsonValue } from './json.js';
export type { LatencySummary } from './latency-histogram.js';
export { LatencyHistogram } from './latency-histogram.js';
export type { LexicalEmbedderOptions } from './lexical-embedder.js';
export { lexicalEmbedder, lexicalVector } from './lexical-embedder.js';
export type { MemoryStoreOptions } from './memory-store.js';
export { MemoryStore } from './memory-store.js';
export type { ModelPrice } from './pricing.js';
export { defaultPrices, estimateCostUsd } from './pricing.js';
export type {
  CacheCallOptions,
  CacheHit,
  CacheMiss,
  CacheStats,
  GetOrComputeResult,
  LookupResult,
  SemanticCache,
  SemanticCacheOptions,
} from './semantic-cache.js';
export { createSemanticCache } from './semantic-cache.js';
export { cosineSimilarity } from './similarity.js';
export { SingleFlight } from './single-flight.js';
export { normalizeText, segmentWords } from './text-normalize.js';
export { validateCacheRequest } from './validate-request.js';
export type { VectorIndexOptions, VectorMatch } from './vector-index.js';
export { VectorIndex } from './vector-index.js';
export { withTimeout } from './with-timeout.js';
