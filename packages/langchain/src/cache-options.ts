import type {
  CacheCallOptions,
  CacheScope,
  SemanticCache as CoreSemanticCache,
} from '@semcache/core';
import { SemcacheError } from '@semcache/core';
import { cacheCallOptionNames, checkCallOptions, rejectUnknown } from '@semcache/core/internal';

/**
 * Options of the LangChain adapters (`SemanticCache`, `withSemanticCache`): the core cache, the
 * scope of the entries, the core cache's per-call options (each defaults to the core cache's own
 * setting: `ttlSeconds`, `threshold`, `semantic`, `cacheNonDeterministic`, `bypass`, `refresh` —
 * derived from `CacheCallOptions`, so they cannot drift from core's) and `coalesce`. How long an
 * identical call is waited for is the core cache's `coalesceTimeoutMs`.
 */
export type LangChainCacheOptions = CacheCallOptions &
  Pick<CacheScope, 'tenant' | 'namespace'> & {
    /** The core cache engine (`createSemanticCache()` from `@semcache/core`). Required. */
    cache: CoreSemanticCache;
    /**
     * Identical calls running at the same time make one model call; the others wait for its
     * answer (see the README's "De-duplication" for how long).
     * @default true
     */
    coalesce?: boolean;
  };

const optionNames = ['cache', 'tenant', 'namespace', 'coalesce', ...cacheCallOptionNames];

/** The options after defaults. */
export interface ResolvedOptions {
  scope: CacheScope;
  callOptions: CacheCallOptions;
  coalesce: boolean;
}

/**
 * Checks the options of a LangChain adapter and applies the defaults.
 *
 * @throws {SemcacheError} `INVALID_OPTIONS` without a core cache, for an unknown option name
 *   (naming the valid ones), or an out-of-range value.
 */
export function resolveOptions(options: LangChainCacheOptions): ResolvedOptions {
  if (typeof options?.cache?.lookupOrLead !== 'function') {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      'The `cache` option is required: pass the core cache, e.g. `{ cache: createSemanticCache() }` from @semcache/core.',
    );
  }
  rejectUnknown('SemanticCache', options, optionNames);
  const { cache: _cache, tenant, namespace, coalesce, ...callOptions } = options;
  for (const [name, value] of [
    ['tenant', tenant],
    ['namespace', namespace],
  ] as const) {
    if (value !== undefined && typeof value !== 'string') {
      throw new SemcacheError(
        'INVALID_OPTIONS',
        `${name} must be a string, got ${JSON.stringify(value)}.`,
      );
    }
  }
  if (coalesce !== undefined && typeof coalesce !== 'boolean') {
    throw new SemcacheError('INVALID_OPTIONS', 'coalesce must be true or false.');
  }
  return {
    scope: {
      ...(tenant === undefined ? {} : { tenant }),
      ...(namespace === undefined ? {} : { namespace }),
    },
    callOptions: checkCallOptions(callOptions, 'options'),
    coalesce: coalesce ?? true,
  };
}
