import type { CacheRequest, SemanticCache as CoreSemanticCache } from '@semcache/core';
import type { ResolvedOptions } from './cache-options.js';
import { toCacheRequest } from './to-cache-request.js';

/** A LangChain call the cache will read and write: its core request and its single-flight key. */
export interface CacheCall {
  request: CacheRequest;
  key: string;
}

/**
 * The cacheable form of a LangChain call (flattened prompt + llmKey), or `undefined` when the
 * call must go around the cache: attachments LangChain cannot render, a request the policy will
 * not cache, or one that cannot be keyed (reported as an `error` event, never thrown).
 */
export function toCacheCall(
  core: CoreSemanticCache,
  options: ResolvedOptions,
  prompt: string,
  llmKey: string,
): CacheCall | undefined {
  try {
    const { request, uncacheable } = toCacheRequest(prompt, llmKey, options.scope);
    if (uncacheable !== undefined) return undefined;
    if (core.cacheability(request, options.callOptions) !== undefined) return undefined;
    const keys = core.keys(request);
    return { request, key: `${keys.namespace}\u0000${keys.exactKey}` };
  } catch (error) {
    core.reportError('langchain-request', error);
    return undefined;
  }
}
