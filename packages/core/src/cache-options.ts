import type { SemanticTextPolicy } from './cache-key.js';
import {
  type ComputedResponse,
  defaultStorableFinishReasons,
  isStorableResponse,
} from './cache-policy.js';
import type { CacheStore } from './cache-store.js';
import type { CircuitBreakerOptions } from './circuit-breaker.js';
import type { Embedder } from './embedder.js';
import type { EncryptionOptions } from './encryption.js';
import { describeValue, SemcacheError } from './errors.js';
import { defaultGuards, type SemanticGuard } from './guards.js';
import type { ModelPrice } from './pricing.js';
import type { ResolvedVerify, VerifyOptions } from './verification.js';

/**
 * Options of `createSemanticCache`. Every option has a default, documented once here with
 * `@default`; the values live in {@link semanticCacheDefaults}.
 */
export interface SemanticCacheOptions {
  /**
   * Where entries live.
   * @default new MemoryStore() (10,000 entries, 64 MiB)
   */
  store?: CacheStore;
  /**
   * Turns texts into vectors.
   * @default lexicalEmbedder()
   */
  embedder?: Embedder;
  /**
   * Minimum cosine similarity in [0, 1] for a semantic hit.
   * @default the embedder's `defaultThreshold`, else 0.91 (the lexical embedder's, chosen on the labelled pair sets)
   */
  threshold?: number;
  /**
   * Time to live of new entries, in seconds.
   * @default 3600
   */
  ttlSeconds?: number;
  /**
   * Semantic matching on or off (exact matching is always on).
   * @default true
   */
  semantic?: boolean;
  /**
   * Which text is matched semantically: the final user message, or every user and assistant turn.
   * @default 'last-user'
   */
  semanticText?: SemanticTextPolicy;
  /**
   * Longer semantic texts are matched exactly only.
   * @default 2000
   */
  maxSemanticTextChars?: number;
  /**
   * Requests larger than this (canonical JSON characters) bypass the cache.
   * @default 524288
   */
  maxRequestChars?: number;
  /**
   * `true` for the default guards, `false` for none, or your own list.
   * @default true
   */
  guards?: boolean | readonly SemanticGuard[];
  /**
   * Cache answers sampled at temperature > 0 without a seed.
   * @default false
   */
  cacheNonDeterministic?: boolean;
  /**
   * Finish reasons whose responses are stored.
   * @default ['stop', 'tool-calls']
   */
  storableFinishReasons?: readonly string[];
  /**
   * Decides whether a computed response is stored.
   * @default not aborted, not marked unstorable, and a storable finish reason
   */
  shouldStore?: (response: ComputedResponse) => boolean;
  /**
   * How long one store operation may wait for the store, in milliseconds; on timeout the call goes
   * on without the cache. Time the operation spent queued behind this process's own CPU work
   * (event-loop delay) does not count: the budget measures the store, not the app.
   * @default 50
   */
  storeTimeoutMs?: number;
  /**
   * How long one semantic search may wait for the store, in milliseconds: more than a single read,
   * because a store may first read a partition's vectors (a new process's first search of it, in
   * `RedisStore`). Event-loop delay does not count, as for `storeTimeoutMs`.
   * @default 1000
   */
  searchTimeoutMs?: number;
  /**
   * Timeout of one embedding call, in milliseconds.
   * @default 2000
   */
  embedTimeoutMs?: number;
  /**
   * When to stop trying a failing store: consecutive store faults that open the circuit, and how
   * long it stays open. Only store faults count, never the app's own load.
   * @default { failureThreshold: 5, cooldownMs: 5000 }
   */
  circuitBreaker?: CircuitBreakerOptions;
  /**
   * Longest wait for an identical call that is computing (in this process or, with a store that
   * has a coordinator, in another) before computing itself, in milliseconds. A caller never waits
   * on a call that is known to have failed or given up.
   * @default 30000
   */
  coalesceTimeoutMs?: number;
  /**
   * Semantic candidates checked per lookup (best first).
   * @default 4
   */
  candidates?: number;
  /**
   * Event-loop delay, in milliseconds, above which the process counts as overloaded: lookups then
   * skip the semantic search (exact lookups and writes go on) and say so (`shed` events).
   * @default 250
   */
  overloadDelayMs?: number;
  /**
   * Writes sent to the store at once; further writes wait in a queue (they are never dropped
   * because the app is busy).
   * @default 64
   */
  writeConcurrency?: number;
  /**
   * Writes that may wait in the queue; past it new writes are dropped and reported (`shed`).
   * @default 10000
   */
  maxQueuedWrites?: number;
  /**
   * Verified semantic caching: instead of one fixed threshold, each semantic candidate is served
   * only when the false-hit rate estimated from verified outcomes (this entry's and its
   * embedder's) is at most `maxFalseHitRate`; otherwise the model is called as on a miss, its
   * answer is returned, and the two answers are compared to learn. `true` for the defaults.
   * @default off
   */
  verify?: boolean | VerifyOptions;
  /**
   * Prices for the saved-cost estimate (USD per million tokens), merged over `defaultPrices`.
   * @default defaultPrices (see the root README)
   */
  prices?: Readonly<Record<string, ModelPrice>>;
  /**
   * Encrypts stored entries (AES-256-GCM), including the prompt text kept for the guards. Vectors,
   * keys and TTLs stay in clear because matching needs them.
   * @default off
   */
  encryption?: EncryptionOptions;
  /**
   * Clock, for tests.
   * @default Date.now
   */
  now?: () => number;
}

/**
 * Per-call control; overrides the cache's options for one call. Derived from
 * {@link SemanticCacheOptions} so the adapters' per-call options cannot drift from the cache's.
 */
export type CacheCallOptions = Pick<
  SemanticCacheOptions,
  'ttlSeconds' | 'threshold' | 'semantic' | 'cacheNonDeterministic'
> & {
  /** Skip the cache entirely: no lookup, no store. */
  bypass?: boolean;
  /** Skip the lookup, call the model and overwrite the entry. */
  refresh?: boolean;
};

/** Names of the per-call options, for adapters that read them from untyped input. */
export const cacheCallOptionNames = [
  'bypass',
  'refresh',
  'ttlSeconds',
  'threshold',
  'semantic',
  'cacheNonDeterministic',
] as const satisfies readonly (keyof CacheCallOptions)[];

/** The default of every option that has a plain value (the README tables are checked against it). */
export const semanticCacheDefaults = {
  fallbackThreshold: 0.91,
  ttlSeconds: 3600,
  semantic: true,
  semanticText: 'last-user',
  maxSemanticTextChars: 2000,
  maxRequestChars: 524_288,
  guards: true,
  cacheNonDeterministic: false,
  storableFinishReasons: defaultStorableFinishReasons,
  storeTimeoutMs: 50,
  searchTimeoutMs: 1000,
  embedTimeoutMs: 2000,
  circuitBreaker: { failureThreshold: 5, cooldownMs: 5000 },
  coalesceTimeoutMs: 30_000,
  candidates: 4,
  overloadDelayMs: 250,
  writeConcurrency: 64,
  maxQueuedWrites: 10_000,
} as const;

const optionNames: readonly (keyof SemanticCacheOptions)[] = [
  'store',
  'embedder',
  'threshold',
  'ttlSeconds',
  'semantic',
  'semanticText',
  'maxSemanticTextChars',
  'maxRequestChars',
  'guards',
  'cacheNonDeterministic',
  'storableFinishReasons',
  'shouldStore',
  'storeTimeoutMs',
  'searchTimeoutMs',
  'embedTimeoutMs',
  'circuitBreaker',
  'coalesceTimeoutMs',
  'candidates',
  'overloadDelayMs',
  'writeConcurrency',
  'maxQueuedWrites',
  'verify',
  'prices',
  'encryption',
  'now',
];

/** The options after defaults, for the cache's own modules. */
export interface ResolvedCacheOptions {
  threshold: number;
  ttlSeconds: number;
  semantic: boolean;
  keyOptions: { semanticText: SemanticTextPolicy; maxSemanticTextChars: number };
  maxRequestChars: number;
  guards: readonly SemanticGuard[];
  cacheNonDeterministic: boolean;
  shouldStore: (response: ComputedResponse) => boolean;
  storeTimeoutMs: number;
  searchTimeoutMs: number;
  embedTimeoutMs: number;
  circuitBreaker: CircuitBreakerOptions;
  coalesceTimeoutMs: number;
  candidates: number;
  overloadDelayMs: number;
  writeConcurrency: number;
  maxQueuedWrites: number;
  /** Verified caching, when on (the judge is filled in by the engine when not given). */
  verify: ResolvedVerify | undefined;
  now: () => number;
}

/**
 * Checks `options` and applies the defaults. `embedderThreshold` is the embedder's calibrated
 * `defaultThreshold`, if any.
 *
 * @throws {SemcacheError} `INVALID_OPTIONS` for an unknown option name (naming the valid ones) or
 *   an out-of-range value (naming the option and the range).
 */
export function resolveCacheOptions(
  options: SemanticCacheOptions,
  embedderThreshold: number | undefined,
): ResolvedCacheOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      `createSemanticCache takes an options object, got ${describeValue(options)}.`,
    );
  }
  rejectUnknown('createSemanticCache', options, optionNames);
  const d = semanticCacheDefaults;
  const storableFinishReasons = options.storableFinishReasons ?? d.storableFinishReasons;
  if (
    !Array.isArray(storableFinishReasons) ||
    !storableFinishReasons.every((r) => typeof r === 'string')
  ) {
    throw invalid('storableFinishReasons must be an array of finish reasons like ["stop"]');
  }
  for (const name of ['shouldStore', 'now'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw invalid(`${name} must be a function, got ${describeValue(options[name])}`);
    }
  }
  const guards =
    options.guards === false
      ? []
      : options.guards === true || options.guards === undefined
        ? defaultGuards
        : options.guards;
  if (!Array.isArray(guards) || !guards.every((guard) => typeof guard === 'function')) {
    throw invalid('guards must be true, false or an array of SemanticGuard functions');
  }
  return {
    threshold: checkSimilarity(
      options.threshold ?? embedderThreshold ?? d.fallbackThreshold,
      'threshold',
    ),
    ttlSeconds: checkTtl(options.ttlSeconds ?? d.ttlSeconds),
    semantic: checkBoolean(options.semantic ?? d.semantic, 'semantic'),
    keyOptions: {
      semanticText: checkOneOf(
        options.semanticText ?? d.semanticText,
        ['last-user', 'conversation'] as const,
        'semanticText',
      ),
      maxSemanticTextChars: checkCount(
        options.maxSemanticTextChars ?? d.maxSemanticTextChars,
        'maxSemanticTextChars',
        0,
      ),
    },
    maxRequestChars: checkCount(options.maxRequestChars ?? d.maxRequestChars, 'maxRequestChars', 1),
    guards,
    cacheNonDeterministic: checkBoolean(
      options.cacheNonDeterministic ?? d.cacheNonDeterministic,
      'cacheNonDeterministic',
    ),
    shouldStore:
      options.shouldStore ??
      ((response: ComputedResponse) => isStorableResponse(response, storableFinishReasons)),
    storeTimeoutMs: checkMs(options.storeTimeoutMs ?? d.storeTimeoutMs, 'storeTimeoutMs'),
    searchTimeoutMs: checkMs(options.searchTimeoutMs ?? d.searchTimeoutMs, 'searchTimeoutMs'),
    embedTimeoutMs: checkMs(options.embedTimeoutMs ?? d.embedTimeoutMs, 'embedTimeoutMs'),
    circuitBreaker: { ...d.circuitBreaker, ...options.circuitBreaker },
    coalesceTimeoutMs: checkMs(
      options.coalesceTimeoutMs ?? d.coalesceTimeoutMs,
      'coalesceTimeoutMs',
    ),
    candidates: checkCount(options.candidates ?? d.candidates, 'candidates', 1),
    overloadDelayMs: checkMs(options.overloadDelayMs ?? d.overloadDelayMs, 'overloadDelayMs'),
    writeConcurrency: checkCount(
      options.writeConcurrency ?? d.writeConcurrency,
      'writeConcurrency',
      1,
    ),
    maxQueuedWrites: checkCount(options.maxQueuedWrites ?? d.maxQueuedWrites, 'maxQueuedWrites', 0),
    verify: resolveVerify(options.verify),
    now: options.now ?? Date.now,
  };
}

/**
 * Checks per-call options (from code or from untyped input such as provider options).
 *
 * @throws {SemcacheError} `INVALID_OPTIONS` naming the field, for an unknown name or a wrong value.
 */
export function checkCallOptions(
  options: CacheCallOptions,
  where = 'call options',
): CacheCallOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      `${where} must be an object like { bypass: true }, got ${describeValue(options)}.`,
    );
  }
  rejectUnknown(where, options, cacheCallOptionNames);
  const checked: CacheCallOptions = {};
  for (const name of cacheCallOptionNames) {
    const value = options[name];
    if (value === undefined) continue;
    const field = `${where}.${name}`;
    if (name === 'threshold') checked.threshold = checkSimilarity(value as number, field);
    else if (name === 'ttlSeconds') checked.ttlSeconds = checkTtl(value as number, field);
    else checked[name] = checkBoolean(value as boolean, field);
  }
  return checked;
}

/** Throws `INVALID_OPTIONS` naming an option of `options` that is not in `known`. */
export function rejectUnknown(where: string, options: object, known: readonly string[]): void {
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw new SemcacheError(
        'INVALID_OPTIONS',
        `${where}: ${name} is not an option; use one of ${known.join(', ')}.`,
      );
    }
  }
}

/** @throws {SemcacheError} `INVALID_OPTIONS` unless `value` is a similarity in [0, 1]. */
export function checkSimilarity(value: number, name: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw invalid(
      `${name} must be a number: a cosine similarity in [0, 1], got ${describeValue(value)}`,
    );
  }
  return value;
}

/** @throws {SemcacheError} `INVALID_OPTIONS` unless `value` is a positive number of seconds. */
export function checkTtl(value: number, name = 'ttlSeconds'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(`${name} must be a number (seconds, > 0), got ${describeValue(value)}`);
  }
  return value;
}

function checkMs(value: number, name: string): number {
  if (typeof value !== 'number' || !(value > 0)) {
    throw invalid(`${name} must be a positive number of milliseconds, got ${describeValue(value)}`);
  }
  return value;
}

function checkCount(value: number, name: string, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw invalid(`${name} must be an integer ≥ ${min}, got ${describeValue(value)}`);
  }
  return value;
}

function checkBoolean(value: boolean, name: string): boolean {
  if (typeof value !== 'boolean') {
    throw invalid(`${name} must be true or false, got ${describeValue(value)}`);
  }
  return value;
}

function checkOneOf<T extends string>(value: T, allowed: readonly T[], name: string): T {
  if (!allowed.includes(value)) {
    throw invalid(
      `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describeValue(value)}`,
    );
  }
  return value;
}

function invalid(message: string): SemcacheError {
  return new SemcacheError('INVALID_OPTIONS', `${message}.`);
}

const verifyOptionNames = ['maxFalseHitRate', 'minSimilarity', 'maxVerifyShare', 'judge'];

function resolveVerify(verify: SemanticCacheOptions['verify']): ResolvedVerify | undefined {
  if (verify === undefined || verify === false) return undefined;
  const options: VerifyOptions = verify === true ? {} : verify;
  if (typeof options !== 'object' || options === null) {
    throw invalid('verify must be true, false or an object like { maxFalseHitRate: 0.02 }');
  }
  rejectUnknown('verify', options, verifyOptionNames);
  const maxFalseHitRate = options.maxFalseHitRate ?? 0.02;
  if (typeof maxFalseHitRate !== 'number' || !(maxFalseHitRate > 0 && maxFalseHitRate < 1)) {
    throw invalid(
      `verify.maxFalseHitRate must be a number in (0, 1), got ${describeValue(maxFalseHitRate)}`,
    );
  }
  const maxVerifyShare = options.maxVerifyShare ?? 1;
  if (typeof maxVerifyShare !== 'number' || !(maxVerifyShare >= 0 && maxVerifyShare <= 1)) {
    throw invalid(
      `verify.maxVerifyShare must be a number in [0, 1], got ${describeValue(maxVerifyShare)}`,
    );
  }
  if (options.judge !== undefined && typeof options.judge !== 'function') {
    throw invalid(
      'verify.judge must be a function ({ cached, fresh, request, cachedRequest }) => boolean',
    );
  }
  return {
    maxFalseHitRate,
    minSimilarity: checkSimilarity(options.minSimilarity ?? 0.8, 'verify.minSimilarity'),
    maxVerifyShare,
    judge: options.judge,
  };
}
