export type { CacheKeys, SemanticTextPolicy } from './cache-key.js';
export type { CacheHit, CacheMiss, LookupResult } from './cache-lookup.js';
export type { CacheCallOptions, SemanticCacheOptions } from './cache-options.js';
export { semanticCacheDefaults } from './cache-options.js';
export type { ComputedResponse } from './cache-policy.js';
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
  StoreGetOptions,
  StoreMatch,
  StoreRecord,
  StoreSearch,
} from './cache-store.js';
export type { CircuitBreakerOptions } from './circuit-breaker.js';
export type {
  ComputeOptions,
  GetOrComputeResult,
  LeadOptions,
  LeadResult,
  StreamResult,
  StreamSource,
} from './coalescing.js';
export type { EntryUsage } from './codec.js';
export type { Embedder } from './embedder.js';
export type { EncryptionKey, EncryptionOptions } from './encryption.js';
export type { SemcacheErrorCode } from './errors.js';
export { SemcacheError } from './errors.js';
export type { CacheEventListener, CacheEventName, CacheEvents, MissReason } from './events.js';
export type { SemanticGuard } from './guards.js';
export { defaultGuards } from './guards.js';
export type { JsonObject, JsonValue } from './json.js';
export type { LatencySummary } from './latency-histogram.js';
export type { LexicalEmbedderOptions } from './lexical-embedder.js';
export { lexicalEmbedder } from './lexical-embedder.js';
export type { MemoryStoreOptions } from './memory-store.js';
export { MemoryStore } from './memory-store.js';
export type { ModelPrice } from './pricing.js';
export { defaultPrices } from './pricing.js';
export type { CacheStats, SemanticCache } from './semantic-cache.js';
export { createSemanticCache } from './semantic-cache.js';
export type { AnswerJudge, OutcomeBin, VerifyOptions } from './verification.js';
export { embeddingJudge } from './verification.js';
