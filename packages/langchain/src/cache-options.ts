import type { CacheCallOptions, SemanticCache as CoreSemanticCache } from '@semcache/core';
import { SemcacheError } from '@semcache/core';

/**
 * Options of the LangChain adapters (`SemanticCache`, `withSemanticCache`). Every option but
 * `cache` has a default; the defaults are listed here and nowhere else. Matching, storing, TTL and
 * threshold defaults come from the core cache (`createSemanticCache`) unless set here.
 */
export interface LangChainCacheOptions {
  /** The core cache engine (`createSemanticCache()` from `@semcache/core`). Required. */
  cache: CoreSemanticCache;
  /** Isolates the entries of one user or customer; entries never cross tenants. Default: none. */
  tenant?: string;
  /** Groups entries for invalidation (the core cache's `clear(namespace)`). Default `'default'`. */
  namespace?: string;
  /** Time to live of new entries. Default: the core cache's (`3600`). */
  ttlSeconds?: number;
  /** Minimum cosine similarity in [0, 1] for a semantic hit. Default: the core cache's (`0.9`). */
  threshold?: number;
  /** Semantic matching on or off (exact matching stays on). Default: the core cache's (`true`). */
  semantic?: boolean;
  /** Cache answers sampled at temperature > 0 without a seed. Default: the core cache's (`false`). */
  cacheNonDeterministic?: boolean;
  /** Skip the cache entirely: no lookup, no store. Default `false`. */
  bypass?: boolean;
  /** Skip lookups, call the model and overwrite entries. Default `false`. */
  refresh?: boolean;
  /**
   * Identical calls running at the same time make one model call; the others wait for its answer.
   * Default `true`.
   */
  coalesce?: boolean;
  /**
   * How long a waiting call waits for the running identical call before giving up on it, in
   * milliseconds. When the running call never delivers (it failed), one waiter becomes the new
   * leader and the others wait for it once more, so a call waits at most twice this long before
   * calling the model itself. Default `30000`.
   */
  coalesceTimeoutMs?: number;
}

/** The options after defaults. */
export interface ResolvedOptions {
  scope: { tenant?: string; namespace?: string };
  callOptions: CacheCallOptions;
  coalesce: boolean;
  coalesceTimeoutMs: number;
}

/**
 * Applies the defaults of {@link LangChainCacheOptions}.
 *
 * @throws {SemcacheError} `INVALID_OPTIONS` without a core cache, with a threshold outside
 *   [0, 1] or a non-positive `ttlSeconds` / `coalesceTimeoutMs`.
 */
export function resolveOptions(options: LangChainCacheOptions): ResolvedOptions {
  if (typeof options?.cache?.lookup !== 'function') {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      'The `cache` option is required: pass the core cache, e.g. `{ cache: createSemanticCache() }` from @semcache/core.',
    );
  }
  const { threshold, ttlSeconds } = options;
  if (
    threshold !== undefined &&
    !(typeof threshold === 'number' && threshold >= 0 && threshold <= 1)
  ) {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      `threshold must be a cosine similarity in [0, 1], got ${String(threshold)}.`,
    );
  }
  if (
    ttlSeconds !== undefined &&
    !(typeof ttlSeconds === 'number' && Number.isFinite(ttlSeconds) && ttlSeconds > 0)
  ) {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      `ttlSeconds must be a positive number, got ${String(ttlSeconds)}.`,
    );
  }
  const coalesceTimeoutMs = options.coalesceTimeoutMs ?? 30_000;
  if (
    typeof coalesceTimeoutMs !== 'number' ||
    !Number.isFinite(coalesceTimeoutMs) ||
    coalesceTimeoutMs <= 0
  ) {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      `coalesceTimeoutMs must be a positive number of milliseconds, got ${String(coalesceTimeoutMs)}.`,
    );
  }
  const callOptions: CacheCallOptions = {};
  if (options.bypass !== undefined) callOptions.bypass = options.bypass;
  if (options.refresh !== undefined) callOptions.refresh = options.refresh;
  if (options.ttlSeconds !== undefined) callOptions.ttlSeconds = options.ttlSeconds;
  if (options.threshold !== undefined) callOptions.threshold = options.threshold;
  if (options.semantic !== undefined) callOptions.semantic = options.semantic;
  if (options.cacheNonDeterministic !== undefined) {
    callOptions.cacheNonDeterministic = options.cacheNonDeterministic;
  }
  return {
    scope: {
      ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    },
    callOptions,
    coalesce: options.coalesce ?? true,
    coalesceTimeoutMs,
  };
}
