import { BaseCache } from '@langchain/core/caches';
import type { Generation } from '@langchain/core/outputs';
import type {
  CacheCallOptions,
  CacheRequest,
  SemanticCache as CoreSemanticCache,
  JsonValue,
  LookupResult,
} from '@semcache/core';
import { SemcacheError, withTimeout } from '@semcache/core';
import { type CacheCall, toCacheCall } from './cache-call.js';
import { type CacheInfo, hitInfo } from './cache-info.js';
import {
  type LangChainCacheOptions,
  type ResolvedOptions,
  resolveOptions,
} from './cache-options.js';
import { callToken } from './call-token.js';
import { FailureHandler } from './failure-handler.js';
import { decodeGenerations, encodeGenerations } from './generation-codec.js';
import { PendingUpdates } from './pending-updates.js';

/** Options of {@link SemanticCache}; see {@link LangChainCacheOptions} for each field. */
export type SemanticCacheOptions = LangChainCacheOptions;

/** Overrides for {@link SemanticCache.withOptions}: every option except the core cache. */
export type SemanticCacheOverrides = Partial<Omit<LangChainCacheOptions, 'cache'>>;

/** How long a coordinator (Redis) lease call may take before the cache goes on without it. */
const coordinatorTimeoutMs = 100;

/** A waiter follows at most this many leaders that never deliver before calling the model. */
const maxFailedLeaders = 2;

interface Shared {
  pending: PendingUpdates<JsonValue>;
  failureHandler?: FailureHandler;
}

type Built = CacheCall;

/**
 * A LangChain.js cache (`BaseCache`) backed by the semcache core: exact hits, semantic hits on the
 * final user turn, and de-duplication of identical calls running at the same time.
 *
 * ```ts
 * const llm = new ChatOpenAI({ model: 'gpt-4.1', cache: new SemanticCache({ cache: createSemanticCache() }) });
 * ```
 *
 * LangChain hands the cache a flattened prompt and an `llmKey` holding the model's parameters —
 * including the plaintext API key and base URL. Both are parsed into a core request with every
 * transport option and secret removed before anything is hashed or stored; see `toCacheRequest`.
 * Hits carry {@link CacheInfo} in `message.response_metadata.semcache` (read it with
 * `readCacheInfo`). LangChain's `.stream()` never consults a cache; use `withSemanticCache` for
 * that.
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
  /** @internal Shares the coalescing state of the instance it was derived from. */
  constructor(options: SemanticCacheOptions, shared: Shared);
  constructor(options: SemanticCacheOptions, shared?: Shared) {
    super();
    this.#options = resolveOptions(options);
    this.#core = options.cache;
    this.#input = options;
    this.#shared = shared ?? { pending: new PendingUpdates() };
  }

  /** The core cache engine (for `stats()`, `on(...)`, `clear()`). */
  get core(): CoreSemanticCache {
    return this.#core;
  }

  /**
   * A callback handler that tells this cache (and every `withOptions` sibling) when a model call
   * failed, so identical calls waiting for it stop waiting at once. Without it they wait up to
   * `coalesceTimeoutMs`, because LangChain reports failures to callbacks only, never to a cache:
   *
   * ```ts
   * const llm = new ChatOpenAI({ model: 'gpt-4.1', cache, callbacks: [cache.failureHandler] });
   * ```
   */
  get failureHandler(): FailureHandler {
    const shared = this.#shared;
    shared.failureHandler ??= new FailureHandler((prompt) => shared.pending.abandonTagged(prompt));
    return shared.failureHandler;
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
   * waits (at most `coalesceTimeoutMs`) for its `update` instead of missing. Never throws: a
   * problem is reported through the core cache's `error` event and the call goes to the model.
   */
  override async lookup(prompt: string, llmKey: string): Promise<Generation[] | null> {
    const token = callToken();
    const built = this.#build(prompt, llmKey);
    if (!built) return null;
    const { request, key } = built;
    const callOptions = this.#options.callOptions;
    if (callOptions.refresh) return null;
    let failedLeaders = 0;
    for (;;) {
      const found = await this.#lookupCore(request, callOptions);
      if (found === undefined) return null;
      if (found.kind !== 'miss') {
        const generations = decodeGenerations(found.value, hitInfo(found), { fresh: true });
        if (generations) return generations;
        this.#core.reportError(
          'langchain-decode',
          new SemcacheError(
            'CORRUPT_ENTRY',
            'A stored LangChain generation could not be read; the call went to the model.',
          ),
        );
      }
      if (!this.#options.coalesce) return null;
      const claim = this.#shared.pending.claim(key, token, {
        timeoutMs: this.#options.coalesceTimeoutMs,
        tag: prompt,
      });
      if (claim.leader) return this.#lead(request, key, claim.onEnd);
      // LangChain updates the prompts of one generate() call only after all its lookups settled.
      if (claim.leaderToken === token) return null;
      const value = await claim.wait();
      if (value !== undefined) {
        const generations = decodeGenerations(value, coalescedInfo);
        if (generations) return generations;
        return null;
      }
      failedLeaders++;
      if (failedLeaders >= maxFailedLeaders) return null;
    }
  }

  /**
   * Stores the generations of a miss (unless the store policy refuses them) and hands them to
   * every identical call waiting in `lookup`. Marks the returned message with
   * `response_metadata.semcache = { hit: 'miss', stored }`. Never throws.
   */
  override async update(prompt: string, llmKey: string, value: Generation[]): Promise<void> {
    const built = this.#build(prompt, llmKey);
    if (!built) return;
    const { request, key } = built;
    const encoded = encodeGenerations(value, request.model.id);
    let stored = false;
    try {
      if (encoded) stored = await this.#core.store(request, encoded, this.#options.callOptions);
    } catch (error) {
      this.#core.reportError('langchain-store', error);
    } finally {
      if (encoded) this.#shared.pending.settle(key, encoded.value);
      else this.#shared.pending.abandon(key);
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
  #build(prompt: string, llmKey: string): Built | undefined {
    return toCacheCall(this.#core, this.#options, prompt, llmKey);
  }

  async #lookupCore(
    request: CacheRequest,
    callOptions: CacheCallOptions,
  ): Promise<LookupResult | undefined> {
    try {
      return await this.#core.lookup(request, callOptions);
    } catch (error) {
      this.#core.reportError('langchain-lookup', error);
      return undefined;
    }
  }

  /**
   * This call leads its key. With a shared store (Redis), it also takes the cross-process lease;
   * when another process holds it, waits for that process's answer first.
   */
  async #lead(
    request: CacheRequest,
    key: string,
    onEnd: (cleanup: () => void) => void,
  ): Promise<Generation[] | null> {
    const coordinator = this.#core.cacheStore.coordinator;
    if (!coordinator) return null;
    const { namespace, exactKey } = this.#core.keys(request);
    const leaseMs = this.#options.coalesceTimeoutMs;
    try {
      const release = await withTimeout(
        coordinator.tryAcquire(namespace, exactKey, leaseMs),
        coordinatorTimeoutMs,
        'flight lease',
      );
      if (release) {
        onEnd(() => {
          release().catch((error: unknown) => this.#core.reportError('langchain-release', error));
        });
        return null;
      }
      await coordinator.waitForRelease(namespace, exactKey, leaseMs);
    } catch (error) {
      this.#core.reportError('langchain-lease', error);
      return null;
    }
    const again = await this.#lookupCore(request, {
      ...this.#options.callOptions,
      semantic: false,
    });
    if (!again || again.kind === 'miss') return null;
    this.#shared.pending.settle(key, again.value);
    return decodeGenerations(again.value, hitInfo(again, true)) ?? null;
  }
}

const coalescedInfo: CacheInfo = { hit: 'miss', coalesced: true };
