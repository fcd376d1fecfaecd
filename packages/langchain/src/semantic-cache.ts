import { BaseCache } from '@langchain/core/caches';
import type { Generation } from '@langchain/core/outputs';
import type {
  CacheRequest,
  SemanticCache as CoreSemanticCache,
  LeadResult,
  LookupResult,
} from '@semcache/core';
import { toCacheCall } from './cache-call.js';
import { type CacheInfo, coalescedInfo, hitInfo, undecodableEntry } from './cache-info.js';
import {
  type LangChainCacheOptions,
  type ResolvedOptions,
  resolveOptions,
} from './cache-options.js';
import { callToken } from './call-token.js';
import { FailureHandler } from './failure-handler.js';
import { decodeGenerations, encodeGenerations } from './generation-codec.js';

/** Options of {@link SemanticCache}; see {@link LangChainCacheOptions} for each field. */
export type SemanticCacheOptions = LangChainCacheOptions;

/** Overrides for {@link SemanticCache.withOptions}: every option except the core cache. */
export type SemanticCacheOverrides = Partial<Omit<LangChainCacheOptions, 'cache'>>;

/** What instances derived with `withOptions` share: the handler that reports failed calls. */
interface Shared {
  failureHandler?: FailureHandler;
}

/**
 * A LangChain.js cache (`BaseCache`) backed by the semcache core: exact hits, semantic hits on the
 * final user turn, and de-duplication of identical calls running at the same time.
 *
 * ```ts
 * const cache = new SemanticCache({ cache: createSemanticCache() });
 * const llm = new ChatOpenAI({ model: 'gpt-4.1', cache, callbacks: [cache.failureHandler] });
 * ```
 *
 * LangChain hands the cache a flattened prompt and an `llmKey` holding the model's parameters —
 * including the plaintext API key and base URL. Both are parsed into a core request with every
 * transport option and secret removed before anything is hashed or stored; see `toCacheRequest`.
 * Hits carry {@link CacheInfo} in `message.response_metadata.semcache` (read it with
 * `readCacheInfo`). LangChain's `.stream()` never consults a cache; use `withSemanticCache` for
 * that.
 *
 * LangChain never tells a cache that a model call failed. With {@link failureHandler} in the
 * model's callbacks it learns it at once, and identical calls wait for a running one as long as
 * needed; without it, they wait at most about as long as the model has been seen to answer, and
 * never on a request whose last call vanished (see the README's "De-duplication").
 */
export class SemanticCache extends BaseCache<Generation[]> {
  readonly #core: CoreSemanticCache;
  readonly #input: LangChainCacheOptions;
  readonly #options: ResolvedOptions;
  readonly #shared: Shared;

  /**
   * @throws {SemcacheError} `INVALID_OPTIONS` without a core cache or with a bad option.
   */
  constructor(options: SemanticCacheOptions);
  /** @internal Shares the failure handler of the instance it was derived from. */
  constructor(options: SemanticCacheOptions, shared: Shared);
  constructor(options: SemanticCacheOptions, shared?: Shared) {
    super();
    this.#options = resolveOptions(options);
    this.#core = options.cache;
    this.#input = options;
    this.#shared = shared ?? {};
  }

  /** The core cache engine (for `stats()`, `on(...)`, `flush()`, `clear()`). */
  get core(): CoreSemanticCache {
    return this.#core;
  }

  /**
   * A callback handler that tells this cache (and every `withOptions` sibling) when a model call
   * failed, so identical calls waiting for it stop waiting at once — put it in the model's
   * `callbacks`. LangChain reports failures to callbacks only, never to a cache:
   *
   * ```ts
   * const llm = new ChatOpenAI({ model: 'gpt-4.1', cache, callbacks: [cache.failureHandler] });
   * ```
   */
  get failureHandler(): FailureHandler {
    const core = this.#core;
    this.#shared.failureHandler ??= new FailureHandler((prompt) => core.abandon(prompt));
    return this.#shared.failureHandler;
  }

  /**
   * A cache over the same engine with some options replaced, e.g. one per tenant:
   * `new ChatOpenAI({ cache: base.withOptions({ tenant: user.orgId }) })`. Identical calls through
   * any of these instances still coalesce.
   */
  withOptions(overrides: SemanticCacheOverrides): SemanticCache {
    return new SemanticCache({ ...this.#input, ...overrides, cache: this.#core }, this.#shared);
  }

  /**
   * Returns fresh generations for a hit, `null` for a miss. While an identical call is running,
   * waits for its `update` instead of missing (see the class notes for how long). Never throws:
   * a problem is reported through the core cache's `error` event and the call goes to the model.
   */
  override async lookup(prompt: string, llmKey: string): Promise<Generation[] | null> {
    const owner = callToken();
    const request = this.#build(prompt, llmKey);
    if (!request) return null;
    const core = this.#core;
    const { callOptions } = this.#options;
    let found: LeadResult;
    try {
      found = this.#options.coalesce
        ? await core.lookupOrLead(
            request,
            {
              failureReported: this.#shared.failureHandler?.watching(prompt) ?? false,
              owner,
              tag: prompt,
            },
            callOptions,
          )
        : notCoalesced(await core.lookup(request, callOptions));
    } catch (error) {
      core.reportError('langchain-lookup', error);
      return null;
    }
    if (found.kind === 'miss' && !found.coalesced) return null;
    const { value } = found;
    const info: CacheInfo =
      found.kind === 'miss' ? { ...coalescedInfo } : hitInfo(found, found.coalesced);
    const generations = decodeGenerations(value, info, { fresh: true });
    if (generations) return generations;
    core.reportError('decode', undecodableEntry());
    return null;
  }

  /**
   * Stores the generations of a miss (unless the store policy refuses them) and hands them to
   * every identical call waiting in `lookup`. Marks the returned message with
   * `response_metadata.semcache = { hit: 'miss', stored }`. Never throws.
   */
  override async update(prompt: string, llmKey: string, value: Generation[]): Promise<void> {
    const request = this.#build(prompt, llmKey);
    if (!request) return;
    const core = this.#core;
    const encoded = encodeGenerations(value, request.model.id);
    let stored = false;
    try {
      if (encoded) stored = await core.settle(request, encoded, this.#options.callOptions);
      else core.abandon(prompt);
    } catch (error) {
      core.reportError('langchain-store', error);
      core.abandon(prompt);
    }
    const info: CacheInfo = { hit: 'miss', stored };
    for (const generation of value) {
      if ('message' in generation) {
        const { message } = generation as {
          message: { response_metadata?: Record<string, unknown> };
        };
        message.response_metadata = { ...message.response_metadata, semcache: info };
      }
      generation.generationInfo = { ...generation.generationInfo, semcache: info };
    }
  }

  /** The request of a call, or `undefined` when the call must go around the cache. */
  #build(prompt: string, llmKey: string): CacheRequest | undefined {
    return toCacheCall(this.#core, this.#options, prompt, llmKey);
  }
}

function notCoalesced(found: LookupResult): LeadResult {
  return found.kind === 'miss' ? { ...found, coalesced: false } : { ...found, coalesced: false };
}
