import type { CacheRequest, SemanticCache as CoreSemanticCache } from '@semcache/core';
import type { ResolvedOptions } from './cache-options.js';
import { toCacheRequest } from './to-cache-request.js';

/**
 * The core request of a LangChain call (flattened prompt + llmKey), or `undefined` when the call
 * must go around the cache: attachments LangChain cannot render, a request the policy will not
 * cache, or one that cannot be keyed (reported as an `error` event, never thrown).
 */
export function toCacheCall(
  core: CoreSemanticCache,
  options: ResolvedOptions,
  prompt: string,
  llmKey: string,
): CacheRequest | undefined {
  try {
    const { request, uncacheable } = toCacheRequest(prompt, llmKey, options.scope);
    if (uncacheable !== undefined) return undefined;
    if (core.cacheability(request, options.callOptions) !== undefined) return undefined;
    return request;
  } catch (error) {
    core.reportError('langchain-request', error);
    return undefined;
  }
}
