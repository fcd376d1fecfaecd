import type { BaseMessage } from '@langchain/core/messages';
import { type CacheHit, SemcacheError } from '@semcache/core';

/**
 * How the cache answered one call, in the same shape as `@semcache/ai-sdk`'s metadata. Written to
 * `message.response_metadata.semcache` (for `SemanticCache` also to `generationInfo.semcache`);
 * read it with {@link readCacheInfo}.
 */
export interface CacheInfo {
  /** `exact`: same request; `semantic`: a similar final user turn in the same context. */
  hit: 'exact' | 'semantic' | 'miss';
  /** Cosine similarity in [0, 1] of the entry served; 1 for exact hits. */
  similarity?: number;
  /** Age of the entry served, in milliseconds. */
  ageMs?: number;
  /** Estimated cost of the model call avoided, in USD, when the model has a price. */
  savedUsd?: number;
  /** True when this call received the answer of an identical call running at the same time. */
  coalesced?: boolean;
  /** For misses that called the model: whether the answer was stored for later calls. */
  stored?: boolean;
}

/**
 * Reads the cache information of a message returned by a model that uses `SemanticCache` or
 * `withSemanticCache`; `undefined` when the cache did not see the call (bypassed, uncacheable).
 */
export function readCacheInfo(message: BaseMessage): CacheInfo | undefined {
  const info: unknown = (message.response_metadata as Record<string, unknown> | undefined)
    ?.semcache;
  if (typeof info !== 'object' || info === null) return undefined;
  const { hit } = info as { hit?: unknown };
  return hit === 'exact' || hit === 'semantic' || hit === 'miss' ? (info as CacheInfo) : undefined;
}

/** The {@link CacheInfo} of a core cache hit. */
export function hitInfo(hit: CacheHit, coalesced = false): CacheInfo {
  return {
    hit: hit.kind,
    similarity: hit.similarity,
    ageMs: hit.ageMs,
    ...(hit.savedUsd === undefined ? {} : { savedUsd: hit.savedUsd }),
    ...(coalesced ? { coalesced: true } : {}),
  };
}

/** The {@link CacheInfo} of a call that received an identical running call's answer. */
export const coalescedInfo: CacheInfo = Object.freeze({ hit: 'miss', coalesced: true });

/** The error reported when a stored entry cannot be read back as LangChain generations. */
export function undecodableEntry(): SemcacheError {
  return new SemcacheError(
    'CORRUPT_ENTRY',
    'A stored entry could not be read as a LangChain generation (not written by @semcache/langchain, or damaged); the call went to the model.',
  );
}
