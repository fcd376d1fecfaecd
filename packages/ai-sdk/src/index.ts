export type { AiSdkEmbedderOptions } from './ai-sdk-embedder.js';
export { aiSdkEmbedder } from './ai-sdk-embedder.js';
export { aiSdkJudge } from './ai-sdk-judge.js';
export type { SemcacheCallOptions } from './call-options.js';
export type { HolySheepOptions } from './holysheep.js';
export { createHolySheep, holySheepBaseURL } from './holysheep.js';
export type {
  SemanticCacheMiddlewareOptions,
  SemcacheMetadata,
} from './semantic-cache-middleware.js';
export { semanticCacheMiddleware } from './semantic-cache-middleware.js';
export type { ReplayOptions, StoredResult } from './stored-result.js';
