import { type CacheCounters, createEngine } from './cache-engine.js';
import type { CacheKeys } from './cache-key.js';
import { cacheability, type LookupResult, lookup } from './cache-lookup.js';
import type { CacheCallOptions, SemanticCacheOptions } from './cache-options.js';
import type { ComputedResponse } from './cache-policy.js';
import type { CacheRequest } from './cache-request.js';
import type { CacheStore } from './cache-store.js';
import { writeResponse } from './cache-write.js';
import {
  Coalescer,
  type ComputeOptions,
  type GetOrComputeResult,
  type LeadOptions,
  type LeadResult,
  type StreamResult,
  type StreamSource,
} from './coalescing.js';
import type { Embedder } from './embedder.js';
import type { CacheEventListener, CacheEventName, MissReason } from './events.js';
import type { JsonValue } from './json.js';
import type { LatencySummary } from './latency-histogram.js';
import { recordTelemetry } from './telemetry.js';

/** Counters since the cache was created, the writes pending now and the lookup latency. */
export interface CacheStats extends CacheCounters {
  /** Writes queued or running now. */
  pendingWrites: number;
  /**
   * Verified caching: the estimated false-hit rate among the semantic hits it served (the mean
   * of their error bounds); `undefined` before the first.
   */
  estimatedFalseHitRate: number | undefined;
  /** Latency of lookups (hits and misses), in milliseconds. */
  lookupLatency: LatencySummary;
}

/** The cache engine. Create it with {@link createSemanticCache}. */
export interface SemanticCache {
  /** Exact lookup, then semantic lookup. Never throws for store or embedder trouble (fails open). */
  lookup<V extends JsonValue = JsonValue>(
    request: CacheRequest,
    options?: CacheCallOptions,
  ): Promise<LookupResult<V>>;
  /**
   * Stores a response unless policy says not to; resolves with whether it was written. Never
   * throws.
   */
  store(
    request: CacheRequest,
    response: ComputedResponse,
    options?: CacheCallOptions,
  ): Promise<boolean>;
  /**
   * Lookup, then on a miss runs `compute` once per identical request (in this process, and across
   * processes when the store has a coordinator), stores a good result and returns it to every
   * waiting caller. A failing `compute` rejects every caller waiting for it and stores nothing; an
   * aborted one (the leader's `signal`, or an `AbortError`) does not: the waiting callers go on
   * as if it had never started.
   */
  getOrCompute<V extends JsonValue = JsonValue>(
    request: CacheRequest,
    compute: () => Promise<ComputedResponse<V>>,
    options?: ComputeOptions,
  ): Promise<GetOrComputeResult<V>>;
  /**
   * The streaming form of {@link getOrCompute}: a hit comes back as its value (replay it); on a
   * miss the caller gets a live stream of parts — its own model stream, or the one an identical
   * call in this process is already reading (every part from the first). The answer is stored
   * once the stream ended cleanly (`source.complete`); a stream that breaks or that every reader
   * leaves is not. Parts are whatever the framework streams: the cache only records them.
   */
  getOrStream<P, V extends JsonValue = JsonValue>(
    request: CacheRequest,
    source: StreamSource<P, V>,
    options?: ComputeOptions,
  ): Promise<StreamResult<P, V>>;
  /**
   * For frameworks that look up, call the model and store in separate steps (LangChain's
   * `BaseCache`): a lookup that, on a miss, makes this caller the leader of the request (call the
   * model, then {@link settle}) or waits for an identical call already leading. See
   * {@link LeadOptions} for how long a lead whose failure goes unseen is waited for.
   */
  lookupOrLead<V extends JsonValue = JsonValue>(
    request: CacheRequest,
    lead: LeadOptions,
    options?: CacheCallOptions,
  ): Promise<LeadResult<V>>;
  /**
   * Stores the answer of a call that led with {@link lookupOrLead} (or any call) and hands it to
   * the callers waiting for it; resolves with whether it was accepted for storing.
   */
  settle(
    request: CacheRequest,
    response: ComputedResponse,
    options?: CacheCallOptions,
  ): Promise<boolean>;
  /** Releases the callers waiting for the leads named `tag`: their model call failed. */
  abandon(tag: string): void;
  /** The keys the cache derives for `request` (validated); useful for adapters and debugging. */
  keys(request: CacheRequest): CacheKeys;
  /** Whether the cache would read and write `request` under `options` (policy and size). */
  cacheability(request: CacheRequest, options?: CacheCallOptions): MissReason | undefined;
  on<E extends CacheEventName>(event: E, listener: CacheEventListener<E>): () => void;
  /**
   * Reports a problem an adapter handled by going around the cache (counted in `errors`, emitted
   * as an `error` event). Never throws.
   */
  reportError(operation: string, error: unknown): void;
  stats(): CacheStats;
  /**
   * Resolves once every write the cache started (including answers of streams that just ended)
   * has reached the store. Await it before a process exits or a serverless function is frozen.
   */
  flush(): Promise<void>;
  /** Drops every entry of a namespace (default `'default'`). */
  clear(namespace?: string): Promise<void>;
  /** Waits for pending writes ({@link flush}), then closes the store when the cache created it. */
  close(): Promise<void>;
  /** The store entries live in. */
  readonly cacheStore: CacheStore;
  readonly embedder: Embedder;
}

/**
 * Creates the cache engine.
 *
 * ```ts
 * const cache = createSemanticCache({ threshold: 0.9, ttlSeconds: 3600 });
 * const result = await cache.getOrCompute(request, async () => ({ value: await callModel() }));
 * ```
 *
 * @throws {SemcacheError} `INVALID_OPTIONS` for an unknown option (naming the valid ones) or an
 *   out-of-range value.
 */
export function createSemanticCache(options: SemanticCacheOptions = {}): SemanticCache {
  const engine = createEngine(options);
  // OpenTelemetry metrics from the cache's events (no-op until an SDK is registered).
  recordTelemetry((event, listener) => engine.events.on(event, listener));
  const flights = new Coalescer(engine);
  let closed = false;
  return {
    lookup: (request, callOptions) => lookup(engine, request, callOptions),
    store: async (request, response, callOptions) =>
      writeResponse(engine, request, response, callOptions).written,
    getOrCompute: (request, compute, callOptions) =>
      flights.getOrCompute(request, compute, callOptions),
    getOrStream: (request, source, callOptions) =>
      flights.getOrStream(request, source, callOptions),
    lookupOrLead: (request, lead, callOptions = {}) =>
      flights.lookupOrLead(request, callOptions, lead),
    settle: (request, response, callOptions) => flights.settle(request, response, callOptions),
    abandon: (tag) => flights.abandon(tag),
    keys: (request) => engine.prepare(request).keys,
    cacheability: (request, callOptions) => cacheability(engine, request, callOptions),
    on: (event, listener) => engine.events.on(event, listener),
    reportError: engine.reportError,
    stats: () => ({
      ...engine.counters,
      pendingWrites: engine.calls.pendingWrites,
      estimatedFalseHitRate:
        engine.counters.verifiedHits > 0
          ? engine.counters.servedErrorEstimate / engine.counters.verifiedHits
          : undefined,
      lookupLatency: engine.latency.summary(),
    }),
    flush: () => engine.calls.flush(),
    clear: async (namespace = 'default') => {
      await engine.store.clear(namespace);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await engine.calls.flush();
      engine.calls.close();
      if (engine.ownsStore) await engine.store.close();
    },
    cacheStore: engine.store,
    embedder: engine.embedder,
  };
}
