import { type CacheKeys, deriveCacheKeys, type SemanticTextPolicy } from './cache-key.js';
import {
  type ComputedResponse,
  defaultStorableFinishReasons,
  isDeterministicRequest,
  isStorableResponse,
} from './cache-policy.js';
import type { CacheRequest } from './cache-request.js';
import type { CacheStore, StoreMatch } from './cache-store.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import { type CacheEntry, decodeEntry, type EntryUsage, encodeEntry } from './codec.js';
import type { Embedder } from './embedder.js';
import { createEntryCipher, type EncryptionOptions } from './encryption.js';
import { describeValue, SemcacheError } from './errors.js';
import {
  CacheEventEmitter,
  type CacheEventListener,
  type CacheEventName,
  type MissReason,
} from './events.js';
import { defaultGuards, type SemanticGuard, vetoReason } from './guards.js';
import type { JsonValue } from './json.js';
import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';
import { lexicalEmbedder } from './lexical-embedder.js';
import { MemoryStore } from './memory-store.js';
import { defaultPrices, estimateCostUsd, type ModelPrice } from './pricing.js';
import { SingleFlight } from './single-flight.js';
import { validateCacheRequest } from './validate-request.js';
import { withTimeout } from './with-timeout.js';

/**
 * Options of {@link createSemanticCache}. Every option has a default; the defaults are listed
 * here and nowhere else.
 */
export interface SemanticCacheOptions {
  /** Where entries live. Default: a new `MemoryStore()` (10,000 entries, 64 MiB). */
  store?: CacheStore;
  /** Turns texts into vectors. Default: `lexicalEmbedder()`. */
  embedder?: Embedder;
  /** Minimum cosine similarity in [0, 1] for a semantic hit. Default: the embedder's `defaultThreshold`, else `0.91` (the lexical embedder's, chosen on the pair sets: see docs/benchmarks.md). */
  threshold?: number;
  /** Time to live of new entries. Default `3600`. */
  ttlSeconds?: number;
  /** Semantic matching on or off (exact matching is always on). Default `true`. */
  semantic?: boolean;
  /** Which text is matched semantically. Default `'last-user'`. */
  semanticText?: SemanticTextPolicy;
  /** Longer semantic texts are matched exactly only. Default `2000`. */
  maxSemanticTextChars?: number;
  /** Requests larger than this (canonical JSON characters) bypass the cache. Default `524288`. */
  maxRequestChars?: number;
  /** `true` for the default guards, `false` for none, or your own list. Default `true`. */
  guards?: boolean | readonly SemanticGuard[];
  /** Cache answers sampled at temperature > 0 without a seed. Default `false`. */
  cacheNonDeterministic?: boolean;
  /** Finish reasons whose responses are stored. Default `['stop', 'tool-calls']`. */
  storableFinishReasons?: readonly string[];
  /** Decides whether a computed response is stored. Default: not aborted and a storable finish reason. */
  shouldStore?: (response: ComputedResponse) => boolean;
  /** Timeout of each store operation; on timeout the call goes on without the cache. Default `50`. */
  storeTimeoutMs?: number;
  /** Timeout of one embedding call. Default `2000`. */
  embedTimeoutMs?: number;
  /** When to stop trying a failing store. Default: open after 5 failures for 5 s. */
  circuitBreaker?: CircuitBreakerOptions;
  /**
   * How long a caller waits for another process computing the same request before computing it
   * itself (stores with a coordinator only); also the lease length. Default `30000`.
   */
  coalesceTimeoutMs?: number;
  /** Semantic candidates checked per lookup (best first). Default `4`. */
  candidates?: number;
  /** Prices for the saved-cost estimate, merged over `defaultPrices`. */
  prices?: Readonly<Record<string, ModelPrice>>;
  /**
   * Encrypts stored entries (AES-256-GCM), including the prompt text kept for the guards. Vectors,
   * keys and TTLs stay in clear because matching needs them. Default: off.
   */
  encryption?: EncryptionOptions;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/** Per-call control; overrides the cache's options for one call. */
export interface CacheCallOptions {
  /** Skip the cache entirely: no lookup, no store. */
  bypass?: boolean;
  /** Skip the lookup, call the model and overwrite the entry. */
  refresh?: boolean;
  ttlSeconds?: number;
  threshold?: number;
  semantic?: boolean;
  cacheNonDeterministic?: boolean;
}

/** A lookup that found an entry. */
export interface CacheHit<V extends JsonValue = JsonValue> {
  kind: 'exact' | 'semantic';
  /** Decoded from the store for this lookup alone: the caller owns it and may change it. */
  value: V;
  /** Exact key of the entry served. */
  key: string;
  /** 1 for exact hits. */
  similarity: number;
  ageMs: number;
  modelId: string;
  usage: EntryUsage | undefined;
  /** Estimated cost of the call this hit avoided, in USD; `undefined` without a price. */
  savedUsd: number | undefined;
}

/** A lookup that found nothing servable. */
export interface CacheMiss {
  kind: 'miss';
  reason: MissReason;
}

/** Result of {@link SemanticCache.lookup}. */
export type LookupResult<V extends JsonValue = JsonValue> = CacheHit<V> | CacheMiss;

/** Result of {@link SemanticCache.getOrCompute}. */
export type GetOrComputeResult<V extends JsonValue = JsonValue> =
  | (CacheHit<V> & { coalesced: boolean })
  | {
      kind: 'miss';
      value: V;
      reason: MissReason;
      /** True when this caller received another caller's model result. */
      coalesced: boolean;
      stored: boolean;
    };

/** Counters since the cache was created. */
export interface CacheStats {
  exactHits: number;
  semanticHits: number;
  misses: number;
  stores: number;
  coalesced: number;
  vetoes: number;
  errors: number;
  corruptEntries: number;
  /** Sum of the estimated cost of every hit, in USD. */
  savedUsd: number;
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
  /** Stores a response unless policy says not to; returns whether it was stored. */
  store(
    request: CacheRequest,
    response: ComputedResponse,
    options?: CacheCallOptions,
  ): Promise<boolean>;
  /**
   * Lookup, then on a miss runs `compute` once per identical request (in this process, and across
   * processes when the store has a coordinator), stores a good result and returns it to every
   * waiting caller. A failing `compute` rejects every caller and stores nothing.
   */
  getOrCompute<V extends JsonValue = JsonValue>(
    request: CacheRequest,
    compute: () => Promise<ComputedResponse<V>>,
    options?: CacheCallOptions,
  ): Promise<GetOrComputeResult<V>>;
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
  /** Drops every entry of a namespace (default `'default'`). */
  clear(namespace?: string): Promise<void>;
  /** Closes the store when the cache created it. */
  close(): Promise<void>;
  /** The store entries live in. */
  readonly cacheStore: CacheStore;
  readonly embedder: Embedder;
}

interface Prepared {
  keys: CacheKeys;
  vector?: Promise<Float32Array | undefined>;
}

type StoreOutcome<T> = { ok: true; value: T } | { ok: false };

/**
 * Creates the cache engine.
 *
 * ```ts
 * const cache = createSemanticCache({ threshold: 0.9, ttlSeconds: 3600 });
 * const result = await cache.getOrCompute(request, async () => ({ value: await callModel() }));
 * ```
 *
 * @throws {SemcacheError} `INVALID_OPTIONS` for out-of-range options.
 */
export function createSemanticCache(options: SemanticCacheOptions = {}): SemanticCache {
  const ownsStore = options.store === undefined;
  const store: CacheStore = options.store ?? new MemoryStore();
  const embedder = options.embedder ?? lexicalEmbedder();
  const threshold = checkThreshold(
    options.threshold ?? embedder.defaultThreshold ?? 0.91,
    'threshold',
  );
  const ttlSeconds = checkTtl(options.ttlSeconds ?? 3600);
  const semanticEnabled = options.semantic ?? true;
  const keyOptions = {
    semanticText: options.semanticText ?? 'last-user',
    maxSemanticTextChars: options.maxSemanticTextChars ?? 2000,
  };
  const maxRequestChars = options.maxRequestChars ?? 512 * 1024;
  const guards =
    options.guards === false
      ? []
      : options.guards === true || options.guards === undefined
        ? defaultGuards
        : options.guards;
  const storableFinishReasons = options.storableFinishReasons ?? defaultStorableFinishReasons;
  const shouldStore =
    options.shouldStore ??
    ((response: ComputedResponse) => isStorableResponse(response, storableFinishReasons));
  const storeTimeoutMs = options.storeTimeoutMs ?? 50;
  const embedTimeoutMs = options.embedTimeoutMs ?? 2000;
  const coalesceTimeoutMs = options.coalesceTimeoutMs ?? 30_000;
  const leaseTimeoutMs = Math.max(storeTimeoutMs, 1000);
  const candidates = options.candidates ?? 4;
  const prices = { ...defaultPrices, ...options.prices };
  const now = options.now ?? Date.now;
  const breaker = new CircuitBreaker(options.circuitBreaker);
  const cipher = options.encryption ? createEntryCipher(options.encryption) : undefined;
  const events = new CacheEventEmitter();
  const flights = new SingleFlight<ComputedResponse>();
  const latency = new LatencyHistogram();
  const prepared = new WeakMap<CacheRequest, Prepared>();
  const counters = {
    exactHits: 0,
    semanticHits: 0,
    misses: 0,
    stores: 0,
    coalesced: 0,
    vetoes: 0,
    errors: 0,
    corruptEntries: 0,
    savedUsd: 0,
  };

  const reportError = (operation: string, error: unknown) => {
    counters.errors++;
    const wrapped =
      error instanceof SemcacheError
        ? error
        : new SemcacheError(
            'STORE_UNAVAILABLE',
            `${store.name} store: ${operation} failed: ${error instanceof Error ? error.message : describeValue(error)}. The call went on without the cache.`,
            { cause: error },
          );
    events.emit('error', { operation, error: wrapped });
  };

  async function storeOp<T>(
    operation: string,
    run: () => Promise<T>,
    timeoutMs = storeTimeoutMs,
  ): Promise<StoreOutcome<T>> {
    if (!breaker.allow()) return { ok: false };
    try {
      const value = await withTimeout(run(), timeoutMs, `${store.name} store ${operation}`);
      breaker.succeeded();
      return { ok: true, value };
    } catch (error) {
      breaker.failed();
      reportError(operation, error);
      return { ok: false };
    }
  }

  function prepare(request: CacheRequest): Prepared {
    let entry = prepared.get(request);
    if (!entry) {
      entry = { keys: deriveCacheKeys(validateCacheRequest(request), keyOptions) };
      prepared.set(request, entry);
    }
    return entry;
  }

  function embed(entry: Prepared): Promise<Float32Array | undefined> {
    const text = entry.keys.semanticText;
    if (text === undefined) return Promise.resolve(undefined);
    entry.vector ??= (async () => {
      try {
        const [vector] = await withTimeout(
          embedder.embed([text]),
          embedTimeoutMs,
          `embedder ${embedder.id}`,
        );
        if (!(vector instanceof Float32Array) || vector.length !== embedder.dimensions) {
          throw new SemcacheError(
            'EMBEDDER_FAILED',
            `Embedder ${embedder.id} returned ${vector instanceof Float32Array ? `a vector of length ${vector.length}` : 'no Float32Array'}; expected length ${embedder.dimensions}.`,
          );
        }
        return vector;
      } catch (error) {
        reportError(
          'embed',
          error instanceof SemcacheError
            ? error
            : new SemcacheError(
                'EMBEDDER_FAILED',
                `Embedder ${embedder.id} failed: ${describeValue(error)}. Semantic matching was skipped for this call.`,
                { cause: error },
              ),
        );
        return undefined;
      }
    })();
    return entry.vector;
  }

  function cacheability(
    request: CacheRequest,
    callOptions: CacheCallOptions = {},
  ): MissReason | undefined {
    if (callOptions.bypass) return 'bypass';
    const { keys } = prepare(request);
    if (keys.size > maxRequestChars) return 'too-large';
    if (
      !(callOptions.cacheNonDeterministic ?? options.cacheNonDeterministic ?? false) &&
      !isDeterministicRequest(request)
    ) {
      return 'uncacheable';
    }
    return undefined;
  }

  async function decodeOrDrop(
    namespace: string,
    key: string,
    payload: string,
  ): Promise<CacheEntry | undefined> {
    try {
      return decodeEntry(cipher ? cipher.decrypt(payload) : payload);
    } catch (error) {
      counters.corruptEntries++;
      reportError('decode', error);
      await storeOp('delete', () => store.delete(namespace, key));
      return undefined;
    }
  }

  function toHit<V extends JsonValue>(
    kind: 'exact' | 'semantic',
    entry: CacheEntry,
    similarity: number,
  ): CacheHit<V> {
    const savedUsd = estimateCostUsd(prices, entry.modelId, entry.usage);
    return {
      kind,
      value: entry.value as V,
      key: entry.key,
      similarity,
      ageMs: Math.max(0, now() - entry.createdAt),
      modelId: entry.modelId,
      usage: entry.usage,
      savedUsd,
    };
  }

  async function find<V extends JsonValue>(
    request: CacheRequest,
    callOptions: CacheCallOptions,
    getTimeoutMs = storeTimeoutMs,
  ): Promise<LookupResult<V>> {
    const entry = prepare(request);
    const { keys } = entry;
    const exact = await storeOp(
      'get',
      () => store.get(keys.namespace, keys.exactKey),
      getTimeoutMs,
    );
    if (!exact.ok) return { kind: 'miss', reason: 'store-error' };
    if (typeof exact.value === 'string') {
      const decoded = await decodeOrDrop(keys.namespace, keys.exactKey, exact.value);
      if (decoded && decoded.key === keys.exactKey && decoded.expiresAt > now())
        return toHit('exact', decoded, 1);
    }
    const semantic = callOptions.semantic ?? semanticEnabled;
    if (!semantic || keys.semanticText === undefined) return { kind: 'miss', reason: 'not-found' };
    const vector = await embed(entry);
    if (!vector) return { kind: 'miss', reason: 'not-found' };
    const minSimilarity = checkThreshold(callOptions.threshold ?? threshold, 'threshold');
    const found = await storeOp('search', () =>
      store.search(keys.namespace, {
        partition: partitionOf(keys),
        vector,
        minSimilarity,
        limit: candidates,
      }),
    );
    if (!found.ok) return { kind: 'miss', reason: 'store-error' };
    if (!Array.isArray(found.value)) {
      reportError(
        'search',
        new Error(`search returned ${typeof found.value}, not an array of matches`),
      );
      return { kind: 'miss', reason: 'store-error' };
    }
    for (const match of found.value as unknown[]) {
      if (!isStoreMatch(match) || match.similarity < minSimilarity) continue;
      const decoded = await decodeOrDrop(keys.namespace, match.key, match.payload);
      if (
        !decoded ||
        decoded.key !== match.key ||
        decoded.expiresAt <= now() ||
        decoded.text === undefined
      )
        continue;
      const veto = vetoReason(guards, keys.semanticText, decoded.text);
      if (veto !== undefined) {
        counters.vetoes++;
        events.emit('veto', {
          key: keys.exactKey,
          candidateKey: match.key,
          similarity: match.similarity,
          reason: veto,
        });
        continue;
      }
      return toHit('semantic', decoded, match.similarity);
    }
    return { kind: 'miss', reason: 'not-found' };
  }

  function partitionOf(keys: CacheKeys): string {
    return `${embedder.id}:${keys.contextKey}`;
  }

  async function lookup<V extends JsonValue>(
    request: CacheRequest,
    callOptions: CacheCallOptions = {},
  ): Promise<LookupResult<V>> {
    const started = performance.now();
    const skip =
      cacheability(request, callOptions) ?? (callOptions.refresh ? 'refresh' : undefined);
    const result: LookupResult<V> = skip
      ? { kind: 'miss', reason: skip }
      : await find<V>(request, callOptions);
    const latencyMs = performance.now() - started;
    latency.record(latencyMs);
    const { exactKey } = prepare(request).keys;
    if (result.kind === 'miss') {
      counters.misses++;
      events.emit('miss', { key: exactKey, reason: result.reason, latencyMs });
    } else {
      if (result.kind === 'exact') counters.exactHits++;
      else counters.semanticHits++;
      counters.savedUsd += result.savedUsd ?? 0;
      events.emit('hit', {
        kind: result.kind,
        key: result.key,
        similarity: result.similarity,
        ageMs: result.ageMs,
        savedUsd: result.savedUsd,
        latencyMs,
      });
    }
    return result;
  }

  async function storeResponse(
    request: CacheRequest,
    response: ComputedResponse,
    callOptions: CacheCallOptions = {},
  ): Promise<boolean> {
    const skip = cacheability(request, callOptions);
    if (skip !== undefined || !safeShouldStore(response)) return false;
    const entry = prepare(request);
    const { keys } = entry;
    const ttlMs = checkTtl(callOptions.ttlSeconds ?? ttlSeconds) * 1000;
    const semantic = (callOptions.semantic ?? semanticEnabled) && keys.semanticText !== undefined;
    const vector = semantic ? await embed(entry) : undefined;
    const createdAt = now();
    let payload: string;
    try {
      const encoded = encodeEntry({
        key: keys.exactKey,
        value: response.value,
        modelId: response.modelId ?? request.model.id,
        createdAt,
        expiresAt: createdAt + ttlMs,
        ...(vector && keys.semanticText !== undefined ? { text: keys.semanticText } : {}),
        ...(response.usage ? { usage: response.usage } : {}),
      });
      payload = cipher ? cipher.encrypt(encoded) : encoded;
    } catch (error) {
      reportError(
        'encode',
        new SemcacheError(
          'INVALID_REQUEST',
          `Response could not be encoded as JSON: ${describeValue(error)}; it was not cached.`,
          { cause: error },
        ),
      );
      return false;
    }
    const written = await storeOp('set', () =>
      store.set(keys.namespace, {
        key: keys.exactKey,
        payload,
        ttlMs,
        ...(vector ? { index: { partition: partitionOf(keys), vector } } : {}),
        labels: {
          modelId: response.modelId ?? request.model.id,
          ...(keys.tenant === undefined ? {} : { tenant: keys.tenant }),
        },
      }),
    );
    if (!written.ok) return false;
    counters.stores++;
    events.emit('store', { key: keys.exactKey, bytes: payload.length, ttlMs });
    return true;
  }

  function safeShouldStore(response: ComputedResponse): boolean {
    try {
      return shouldStore(response);
    } catch (error) {
      reportError('shouldStore', error);
      return false;
    }
  }

  async function computeOnce<V extends JsonValue>(
    request: CacheRequest,
    compute: () => Promise<ComputedResponse<V>>,
    callOptions: CacheCallOptions,
  ): Promise<{ response: ComputedResponse<V>; stored: boolean; distributedHit?: CacheHit<V> }> {
    const { keys } = prepare(request);
    const coordinator = store.coordinator;
    let release: (() => Promise<void>) | undefined;
    if (coordinator && !callOptions.refresh) {
      // Lease commands get a longer budget than lookups: a lease granted after its caller gave up
      // would be orphaned, and every other caller of this request would wait for its expiry.
      let acquiring: Promise<(() => Promise<void>) | undefined> | undefined;
      const lease = await storeOp(
        'lease',
        () => {
          acquiring = coordinator.tryAcquire(keys.namespace, keys.exactKey, coalesceTimeoutMs);
          return acquiring;
        },
        leaseTimeoutMs,
      );
      // A lease granted after the timeout belongs to nobody: hand it back as soon as it arrives.
      if (!lease.ok && acquiring) {
        void acquiring.then((late) => late && releaseLease(late)).catch(() => {});
      }
      if (lease.ok && lease.value === undefined) {
        try {
          await coordinator.waitForRelease(keys.namespace, keys.exactKey, coalesceTimeoutMs);
        } catch (error) {
          reportError('wait', error);
        }
        // The leader has just released, so the answer is most likely stored: reading it is worth
        // the lease budget (a slow GET right after a deploy must not cost another model call).
        const again = await find<V>(request, { ...callOptions, semantic: false }, leaseTimeoutMs);
        if (again.kind !== 'miss') {
          counters.coalesced++;
          events.emit('coalesced', { key: keys.exactKey, scope: 'distributed' });
          return { response: { value: again.value }, stored: false, distributedHit: again };
        }
      } else if (lease.ok && lease.value) {
        const acquired = lease.value;
        release = acquired;
        // Another process may have stored the answer and released its lease between our lookup
        // and our lease: check once more before paying for a model call.
        const stored = await find<V>(request, { ...callOptions, semantic: false });
        if (stored.kind !== 'miss') {
          release = undefined;
          await releaseLease(acquired);
          counters.coalesced++;
          events.emit('coalesced', { key: keys.exactKey, scope: 'distributed' });
          return { response: { value: stored.value }, stored: false, distributedHit: stored };
        }
      }
    }
    try {
      const response = await compute();
      const stored = await storeResponse(request, response, callOptions);
      return { response, stored };
    } finally {
      if (release) await releaseLease(release);
    }
  }

  /**
   * Not behind the circuit breaker, which may have opened while the model was answering: a lease
   * left behind stalls every other caller of the request until it expires.
   */
  async function releaseLease(release: () => Promise<void>, retry = true): Promise<void> {
    try {
      await withTimeout(release(), leaseTimeoutMs, `${store.name} store release`);
    } catch (error) {
      reportError('release', error);
      if (retry) void releaseLease(release, false);
    }
  }

  async function getOrCompute<V extends JsonValue>(
    request: CacheRequest,
    compute: () => Promise<ComputedResponse<V>>,
    callOptions: CacheCallOptions = {},
  ): Promise<GetOrComputeResult<V>> {
    const found = await lookup<V>(request, callOptions);
    if (found.kind !== 'miss') return { ...found, coalesced: false };
    if (
      found.reason === 'bypass' ||
      found.reason === 'too-large' ||
      found.reason === 'uncacheable'
    ) {
      const response = await compute();
      return {
        kind: 'miss',
        value: response.value,
        reason: found.reason,
        coalesced: false,
        stored: false,
      };
    }
    const { keys } = prepare(request);
    const flightKey = `${keys.namespace}\u0000${keys.exactKey}${callOptions.refresh ? '\u0000refresh' : ''}`;
    let outcome:
      | { response: ComputedResponse<V>; stored: boolean; distributedHit?: CacheHit<V> }
      | undefined;
    const { promise, shared } = flights.run(flightKey, async () => {
      outcome = await computeOnce(request, compute, callOptions);
      return outcome.response as ComputedResponse;
    });
    const response = (await promise) as ComputedResponse<V>;
    if (shared) {
      counters.coalesced++;
      events.emit('coalesced', { key: keys.exactKey, scope: 'process' });
      return {
        kind: 'miss',
        value: structuredClone(response.value),
        reason: found.reason,
        coalesced: true,
        stored: false,
      };
    }
    if (outcome?.distributedHit) return { ...outcome.distributedHit, coalesced: true };
    return {
      kind: 'miss',
      value: response.value,
      reason: found.reason,
      coalesced: false,
      stored: outcome?.stored ?? false,
    };
  }

  return {
    lookup,
    store: storeResponse,
    getOrCompute,
    keys: (request) => prepare(request).keys,
    cacheability,
    on: (event, listener) => events.on(event, listener),
    reportError,
    stats: () => ({ ...counters, lookupLatency: latency.summary() }),
    clear: async (namespace = 'default') => {
      await store.clear(namespace);
    },
    close: async () => {
      if (ownsStore) await store.close();
    },
    cacheStore: store,
    embedder,
  };
}

function isStoreMatch(value: unknown): value is StoreMatch {
  if (typeof value !== 'object' || value === null) return false;
  const match = value as Partial<StoreMatch>;
  return (
    typeof match.key === 'string' &&
    typeof match.payload === 'string' &&
    typeof match.similarity === 'number'
  );
}

function checkThreshold(value: number, name: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      `${name} must be a cosine similarity in [0, 1], got ${describeValue(value)}.`,
    );
  }
  return value;
}

function checkTtl(value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      `ttlSeconds must be a positive number, got ${describeValue(value)}.`,
    );
  }
  return value;
}
