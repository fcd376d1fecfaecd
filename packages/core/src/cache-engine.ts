import { type CacheKeys, deriveCacheKeys } from './cache-key.js';
import {
  type ResolvedCacheOptions,
  resolveCacheOptions,
  type SemanticCacheOptions,
} from './cache-options.js';
import type { CacheRequest } from './cache-request.js';
import type { CacheStore } from './cache-store.js';
import type { Embedder } from './embedder.js';
import { createEntryCipher, type EntryCipher } from './encryption.js';
import { describeValue, SemcacheError } from './errors.js';
import { CacheEventEmitter } from './events.js';
import type { JsonValue } from './json.js';
import { LatencyHistogram } from './latency-histogram.js';
import { lexicalEmbedder } from './lexical-embedder.js';
import { MemoryStore } from './memory-store.js';
import { OutcomeBook } from './outcome-book.js';
import { defaultPrices, type ModelPrice } from './pricing.js';
import { StoreCalls, storeFailure } from './store-calls.js';
import { validateCacheRequest } from './validate-request.js';
import { embeddingJudge } from './verification.js';
import { withTimeout } from './with-timeout.js';

/** Counters since the cache was created, reported by `stats()`. */
export interface CacheCounters {
  exactHits: number;
  semanticHits: number;
  /** Lookups that found nothing servable (one per request that reached the cache). */
  misses: number;
  stores: number;
  /** Callers that received another caller's answer instead of calling the model. */
  coalesced: number;
  vetoes: number;
  errors: number;
  corruptEntries: number;
  /** Cache work skipped under overload (semantic searches, writes past the queue). */
  shed: number;
  /** Sum of the estimated cost of every hit, in USD. */
  savedUsd: number;
  /** Verified caching: semantic hits served because their estimated error was within the bound. */
  verifiedHits: number;
  /** Verified caching: candidates it would have served or checked. */
  wouldBeHits: number;
  /** Verified caching: candidates checked against a fresh model answer instead of served. */
  verifications: number;
  /** Verified caching: checks where the candidate's answer was right / wrong. */
  verificationsCorrect: number;
  verificationsWrong: number;
  /** Verified caching: estimated cost of the model calls spent on checks, in USD. */
  verificationUsd: number;
  /** Verified caching: sum of the error estimates of the hits served (for the live false-hit rate). */
  servedErrorEstimate: number;
}

/** A candidate being checked: its answer is compared with the fresh one once that is stored. */
export interface Exploration {
  namespace: string;
  candidateKey: string;
  candidateValue: JsonValue;
  candidateText: string;
  requestText: string;
  similarity: number;
  errorEstimate: number;
  /** Whether the entry had been checked right at this similarity or below when it was chosen. */
  informed: boolean;
  candidateTtlMs: number;
  at: number;
}

/** A request with what the cache derived from it, computed once per request object. */
export interface PreparedRequest {
  keys: CacheKeys;
  vector?: Promise<Float32Array | undefined>;
}

/**
 * The state every part of one cache shares: options after defaults, store calls, events,
 * counters, and the per-request memo of keys and vectors. Internal to core.
 */
export interface CacheEngine {
  readonly options: ResolvedCacheOptions;
  readonly store: CacheStore;
  readonly ownsStore: boolean;
  readonly embedder: Embedder;
  readonly calls: StoreCalls;
  readonly events: CacheEventEmitter;
  readonly counters: CacheCounters;
  readonly latency: LatencyHistogram;
  readonly prices: Readonly<Record<string, ModelPrice>>;
  readonly cipher: EntryCipher | undefined;
  /** Verified caching's outcomes (present when `verify` is on). */
  readonly outcomes: OutcomeBook | undefined;
  /** Candidates being checked, by the exact key of the request that will produce the fresh answer. */
  readonly explorations: Map<string, Exploration>;
  /** Keys of `request` (validated), memoised per request object. */
  prepare(request: CacheRequest): PreparedRequest;
  /** The vector of the request's semantic text; `undefined` (reported) when embedding fails. */
  embed(prepared: PreparedRequest): Promise<Float32Array | undefined>;
  /** The index partition of a request: embedder and context, so vectors are never mixed. */
  partitionOf(keys: CacheKeys): string;
  /** Counts an error and emits it as an `error` event. Never throws. */
  reportError(operation: string, error: unknown): void;
}

/**
 * Builds the shared state of a cache from its options.
 *
 * @throws {SemcacheError} `INVALID_OPTIONS` for unknown or out-of-range options.
 */
export function createEngine(input: SemanticCacheOptions): CacheEngine {
  const embedder = input?.embedder ?? lexicalEmbedder();
  const options = resolveCacheOptions(input, embedder.defaultThreshold);
  if (options.verify && !options.verify.judge) options.verify.judge = embeddingJudge(embedder);
  if (
    typeof embedder?.embed !== 'function' ||
    typeof embedder.id !== 'string' ||
    !Number.isInteger(embedder.dimensions)
  ) {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      'embedder must be an Embedder: { id: string, dimensions: integer, embed(texts) }, e.g. lexicalEmbedder().',
    );
  }
  const ownsStore = input.store === undefined;
  const store: CacheStore = input.store ?? new MemoryStore();
  for (const method of ['get', 'set', 'delete', 'search', 'clear', 'close'] as const) {
    if (typeof store?.[method] !== 'function') {
      throw new SemcacheError(
        'INVALID_OPTIONS',
        `store must be a CacheStore (MemoryStore, RedisStore, or your own) with a ${method}() method.`,
      );
    }
  }
  const events = new CacheEventEmitter();
  const counters: CacheCounters = {
    exactHits: 0,
    semanticHits: 0,
    misses: 0,
    stores: 0,
    coalesced: 0,
    vetoes: 0,
    errors: 0,
    corruptEntries: 0,
    shed: 0,
    savedUsd: 0,
    verifiedHits: 0,
    wouldBeHits: 0,
    verifications: 0,
    verificationsCorrect: 0,
    verificationsWrong: 0,
    verificationUsd: 0,
    servedErrorEstimate: 0,
  };
  const memo = new WeakMap<CacheRequest, PreparedRequest>();

  const reportError = (operation: string, error: unknown) => {
    counters.errors++;
    events.emit('error', { operation, error: storeFailure(store.name, operation, error) });
  };
  events.on('shed', () => {
    counters.shed++;
  });

  const calls = new StoreCalls({
    store,
    events,
    storeTimeoutMs: options.storeTimeoutMs,
    circuitBreaker: options.circuitBreaker,
    overloadDelayMs: options.overloadDelayMs,
    writeConcurrency: options.writeConcurrency,
    maxQueuedWrites: options.maxQueuedWrites,
    report: reportError,
  });

  const embed = (prepared: PreparedRequest): Promise<Float32Array | undefined> => {
    const text = prepared.keys.semanticText;
    if (text === undefined) return Promise.resolve(undefined);
    prepared.vector ??= (async () => {
      try {
        const [vector] = await withTimeout(
          embedder.embed([text]),
          options.embedTimeoutMs,
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
    return prepared.vector;
  };

  return {
    options,
    store,
    ownsStore,
    embedder,
    calls,
    events,
    counters,
    latency: new LatencyHistogram(),
    prices: { ...defaultPrices, ...input.prices },
    cipher: input.encryption ? createEntryCipher(input.encryption) : undefined,
    outcomes: options.verify ? new OutcomeBook(store, calls) : undefined,
    explorations: new Map(),
    prepare: (request) => {
      let prepared = memo.get(request);
      if (!prepared) {
        prepared = { keys: deriveCacheKeys(validateCacheRequest(request), options.keyOptions) };
        memo.set(request, prepared);
      }
      return prepared;
    },
    embed,
    partitionOf: (keys) => `${embedder.id}:${keys.contextKey}`,
    reportError,
  };
}
