import type { CacheEngine } from './cache-engine.js';
import { type CacheCallOptions, checkSimilarity } from './cache-options.js';
import { isDeterministicRequest } from './cache-policy.js';
import type { CacheRequest } from './cache-request.js';
import type { StoreMatch } from './cache-store.js';
import { type CacheEntry, decodeEntry, type EntryUsage } from './codec.js';
import type { MissReason } from './events.js';
import { vetoReason } from './guards.js';
import type { JsonValue } from './json.js';
import { estimateCostUsd } from './pricing.js';
import { decide } from './verification.js';

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

/** Result of a lookup. */
export type LookupResult<V extends JsonValue = JsonValue> = CacheHit<V> | CacheMiss;

/** Why a request goes around the cache entirely, or `undefined` when the cache reads and writes it. */
export function cacheability(
  engine: CacheEngine,
  request: CacheRequest,
  callOptions: CacheCallOptions = {},
): MissReason | undefined {
  if (callOptions.bypass) return 'bypass';
  const { keys } = engine.prepare(request);
  if (keys.size > engine.options.maxRequestChars) return 'too-large';
  if (
    !(callOptions.cacheNonDeterministic ?? engine.options.cacheNonDeterministic) &&
    !isDeterministicRequest(request)
  ) {
    return 'uncacheable';
  }
  return undefined;
}

/** True for the miss reasons after which the cache neither reads nor writes the request. */
export function goesAround(reason: MissReason): boolean {
  return reason === 'bypass' || reason === 'too-large' || reason === 'uncacheable';
}

/**
 * A counted lookup: exact, then semantic. Records latency, counts the hit or miss and emits the
 * event. Never throws for store or embedder trouble.
 */
export async function lookup<V extends JsonValue>(
  engine: CacheEngine,
  request: CacheRequest,
  callOptions: CacheCallOptions = {},
): Promise<LookupResult<V>> {
  const started = performance.now();
  const skip =
    cacheability(engine, request, callOptions) ?? (callOptions.refresh ? 'refresh' : undefined);
  const result: LookupResult<V> = skip
    ? { kind: 'miss', reason: skip }
    : await find<V>(engine, request, callOptions);
  const latencyMs = performance.now() - started;
  engine.latency.record(latencyMs);
  const { counters, events } = engine;
  if (result.kind === 'miss') {
    counters.misses++;
    events.emit('miss', {
      key: engine.prepare(request).keys.exactKey,
      reason: result.reason,
      latencyMs,
    });
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

/**
 * The uncounted search behind {@link lookup}: one `GET`, then (unless semantic matching is off,
 * the request has no semantic text, or the process is overloaded) the embedding, the partition's
 * nearest neighbours and the guards. `getTimeoutMs` overrides the exact read's budget; `recheck`
 * marks a read for a request already looked up (the store counts each request once).
 */
export async function find<V extends JsonValue>(
  engine: CacheEngine,
  request: CacheRequest,
  callOptions: CacheCallOptions,
  getTimeoutMs?: number,
  recheck = false,
): Promise<LookupResult<V>> {
  const { calls, store, options, events, counters } = engine;
  const prepared = engine.prepare(request);
  const { keys } = prepared;
  const exact = await calls.run(
    'get',
    () =>
      recheck
        ? store.get(keys.namespace, keys.exactKey, { recheck: true })
        : store.get(keys.namespace, keys.exactKey),
    getTimeoutMs,
  );
  if (!exact.ok) return { kind: 'miss', reason: 'store-error' };
  if (typeof exact.value === 'string') {
    const decoded = await decodeOrDrop(engine, keys.namespace, keys.exactKey, exact.value);
    if (decoded && decoded.key === keys.exactKey && decoded.expiresAt > options.now())
      return toHit(engine, 'exact', decoded, 1);
  }
  if (!(callOptions.semantic ?? options.semantic) || keys.semanticText === undefined) {
    return { kind: 'miss', reason: 'not-found' };
  }
  if (calls.overloaded) {
    // Semantic search is the first cache work to go when the app itself is overloaded.
    events.emit('shed', {
      key: keys.exactKey,
      operation: 'semantic-search',
      reason: `the event loop is ${Math.round(calls.recentDelayMs)} ms late (overloadDelayMs ${options.overloadDelayMs}); exact lookups and writes go on.`,
    });
    return { kind: 'miss', reason: 'shed' };
  }
  const vector = await engine.embed(prepared);
  if (!vector) return { kind: 'miss', reason: 'not-found' };
  // Verified caching searches down to its floor: the threshold is then learned per entry.
  const minSimilarity = checkSimilarity(
    callOptions.threshold ?? options.verify?.minSimilarity ?? options.threshold,
    'threshold',
  );
  const found = await calls.run(
    'search',
    () =>
      store.search(keys.namespace, {
        partition: engine.partitionOf(keys),
        vector,
        minSimilarity,
        limit: options.candidates,
      }),
    options.searchTimeoutMs,
  );
  if (!found.ok) return { kind: 'miss', reason: 'store-error' };
  if (!Array.isArray(found.value)) {
    engine.reportError(
      'search',
      new Error(`search returned ${typeof found.value}, not an array of matches`),
    );
    return { kind: 'miss', reason: 'store-error' };
  }
  for (const match of found.value as unknown[]) {
    if (!isStoreMatch(match) || match.similarity < minSimilarity) continue;
    const decoded = await decodeOrDrop(engine, keys.namespace, match.key, match.payload);
    if (
      !decoded ||
      decoded.key !== match.key ||
      decoded.expiresAt <= options.now() ||
      decoded.text === undefined
    )
      continue;
    const veto = vetoReason(options.guards, keys.semanticText, decoded.text);
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
    if (options.verify && engine.outcomes) {
      const verdict = await verifyCandidate(
        engine,
        keys.exactKey,
        keys.namespace,
        keys.semanticText,
        decoded,
        match.similarity,
      );
      if (verdict === 'skip') continue;
      if (verdict === 'verify') return { kind: 'miss', reason: 'verifying' };
      if (verdict === 'miss') return { kind: 'miss', reason: 'not-found' };
    }
    return toHit(engine, 'semantic', decoded, match.similarity);
  }
  return { kind: 'miss', reason: 'not-found' };
}

/**
 * Verified caching's decision for one candidate that passed the guards: serve it, check it
 * against the model's fresh answer (remembered until that answer is stored), skip it (this entry
 * was wrong at this similarity), or miss (checks are over their share).
 */
async function verifyCandidate(
  engine: CacheEngine,
  exactKey: string,
  namespace: string,
  requestText: string,
  candidate: CacheEntry,
  similarity: number,
): Promise<'serve' | 'verify' | 'skip' | 'miss'> {
  const verify = engine.options.verify as NonNullable<typeof engine.options.verify>;
  const book = engine.outcomes as NonNullable<typeof engine.outcomes>;
  const { counters } = engine;
  const decision = decide(
    similarity,
    await book.entry(namespace, candidate.key),
    book.pooled(namespace, engine.embedder.id),
    verify,
  );
  if (decision.action === 'skip') return 'skip';
  if (decision.action === 'serve') {
    counters.wouldBeHits++;
    counters.verifiedHits++;
    counters.servedErrorEstimate += decision.errorEstimate;
    return 'serve';
  }
  // At most that share of would-be hits is checked (the first check is always allowed).
  counters.wouldBeHits++;
  if (counters.verifications >= verify.maxVerifyShare * counters.wouldBeHits + 1) return 'miss';
  counters.verifications++;
  counters.verificationUsd +=
    estimateCostUsd(engine.prices, candidate.modelId, candidate.usage) ?? 0;
  const { explorations } = engine;
  if (explorations.size >= maxExplorations) {
    const oldest = explorations.keys().next().value;
    if (oldest !== undefined) explorations.delete(oldest);
  }
  const now = engine.options.now();
  explorations.set(exactKey, {
    namespace,
    candidateKey: candidate.key,
    candidateValue: candidate.value,
    candidateText: candidate.text ?? '',
    requestText,
    similarity,
    errorEstimate: decision.errorEstimate,
    informed: decision.informed,
    candidateTtlMs: Math.max(1, candidate.expiresAt - now),
    at: now,
  });
  return 'verify';
}

/** Checks waiting for their fresh answer, at most (oldest forgotten first). */
const maxExplorations = 10_000;

async function decodeOrDrop(
  engine: CacheEngine,
  namespace: string,
  key: string,
  payload: string,
): Promise<CacheEntry | undefined> {
  try {
    return decodeEntry(engine.cipher ? engine.cipher.decrypt(payload) : payload);
  } catch (error) {
    engine.counters.corruptEntries++;
    engine.reportError('decode', error);
    await engine.calls.run('delete', () => engine.store.delete(namespace, key));
    return undefined;
  }
}

function toHit<V extends JsonValue>(
  engine: CacheEngine,
  kind: 'exact' | 'semantic',
  entry: CacheEntry,
  similarity: number,
): CacheHit<V> {
  return {
    kind,
    value: entry.value as V,
    key: entry.key,
    similarity,
    ageMs: Math.max(0, engine.options.now() - entry.createdAt),
    modelId: entry.modelId,
    usage: entry.usage,
    savedUsd: estimateCostUsd(engine.prices, entry.modelId, entry.usage),
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
