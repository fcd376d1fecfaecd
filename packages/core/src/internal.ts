/**
 * Machinery shared with the sibling `@semcache/*` packages (Redis store, adapters, proxy, bench).
 * Not part of the public API: names here may change in any release. Apps import from
 * `@semcache/core` only.
 *
 * @packageDocumentation
 */
export { deriveCacheKeys, keySchemaVersion } from './cache-key.js';
export {
  cacheCallOptionNames,
  checkCallOptions,
  checkSimilarity,
  checkTtl,
  rejectUnknown,
} from './cache-options.js';
export {
  defaultStorableFinishReasons,
  isDeterministicRequest,
  isStorableResponse,
} from './cache-policy.js';
export { canonicalJson } from './canonical-json.js';
export { CircuitBreaker } from './circuit-breaker.js';
export type { CacheEntry } from './codec.js';
export { codecVersion, decodeEntry, encodeEntry } from './codec.js';
export type { EntryCipher } from './encryption.js';
export { createEntryCipher } from './encryption.js';
export { describeValue, isSemcacheError } from './errors.js';
export {
  antonymGuard,
  identifierGuard,
  negationGuard,
  numbersGuard,
  vetoReason,
  wordOrderGuard,
} from './guards.js';
export { hash32, sha256Hex } from './hash.js';
export { LatencyHistogram } from './latency-histogram.js';
export { lexicalVector } from './lexical-embedder.js';
export { LiveParts, readParts, toReadableStream } from './live-parts.js';
export type { LoopDelay } from './loop-delay.js';
export { useLoopDelay } from './loop-delay.js';
export { estimateCostUsd } from './pricing.js';
export { cosineSimilarity } from './similarity.js';
export { normalizeText, segmentWords } from './text-normalize.js';
export { validateCacheRequest } from './validate-request.js';
export type { VectorIndexOptions, VectorMatch } from './vector-index.js';
export { VectorIndex } from './vector-index.js';
export { answerText, decide, judgePrompt, readJudgeVerdict, wilsonUpper } from './verification.js';
export { withTimeout } from './with-timeout.js';
