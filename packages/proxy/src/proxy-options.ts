import type { SemanticCache, SemanticCacheOptions } from '@semcache/core';
import { SemcacheError } from '@semcache/core';
import { describeValue, rejectUnknown } from '@semcache/core/internal';

/**
 * Options of {@link createProxy} and {@link startProxy}. Every option has a default, documented
 * once here with `@default`; the plain values live in {@link proxyDefaults}. The `semcache-proxy`
 * flags map onto these options (docs/proxy.md lists both).
 */
export interface ProxyOptions {
  /**
   * Base URL of the OpenAI-compatible API to forward to, with its version path.
   * @default 'https://api.holysheep.ai/v1'
   */
  upstream?: string;
  /**
   * Interface to listen on ({@link startProxy}).
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Port to listen on ({@link startProxy}); `0` picks a free one.
   * @default 8787
   */
  port?: number;
  /**
   * Redis to keep entries in (`redis://…` or `rediss://…`), shared by every proxy using it and
   * kept across restarts. The proxy waits for the first connection at start.
   * @default none: an in-memory store (the CLI reads `REDIS_URL`)
   */
  redisUrl?: string;
  /**
   * The proxy's own key for the upstream (sent as `Authorization: Bearer`). With it, clients must
   * present one of {@link clientKeys} and the upstream key never reaches a client. Without it,
   * each client's own `Authorization` is forwarded.
   * @default none (the CLI reads `HOLYSHEEP_API_KEY`)
   */
  upstreamKey?: string;
  /**
   * Keys clients send as `Authorization: Bearer <key>`; required with {@link upstreamKey}. Each
   * key is its own tenant unless {@link sharedCache}.
   * @default none
   */
  clientKeys?: readonly string[];
  /**
   * One cache for every caller: answers are shared across client keys.
   * @default false (no answer crosses keys)
   */
  sharedCache?: boolean;
  /**
   * Secret of the HMAC-SHA-256 that turns a key into its tenant id (keep it stable: a new secret
   * starts every tenant's cache afresh).
   * @default none: a fixed label (a domain-separated SHA-256 of the key)
   */
  tenantSecret?: string;
  /**
   * Largest request body accepted, in bytes; larger ones get 413.
   * @default 10485760 (10 MiB)
   */
  maxBodyBytes?: number;
  /**
   * How long shutdown waits for requests in flight before closing their connections, in ms.
   * @default 10000
   */
  shutdownTimeoutMs?: number;
  /**
   * Options of the cache the proxy creates (its store is the Redis store with
   * {@link redisUrl}, else a `MemoryStore`).
   * @default {} (the core defaults)
   */
  cacheOptions?: SemanticCacheOptions;
  /**
   * A cache of your own instead (not with {@link redisUrl} or {@link cacheOptions}); the proxy
   * flushes it at shutdown and leaves closing it to you.
   * @default one the proxy creates
   */
  cache?: SemanticCache;
  /**
   * Receives one JSON line per request and per cache error; never a key, a header value or
   * request content.
   * @default no log (the CLI logs to stderr)
   */
  log?: (line: string) => void;
}

/** The default of every option that has a plain value (docs/proxy.md is checked against it). */
export const proxyDefaults = {
  upstream: 'https://api.holysheep.ai/v1',
  host: '127.0.0.1',
  port: 8787,
  sharedCache: false,
  maxBodyBytes: 10 * 1024 * 1024,
  shutdownTimeoutMs: 10_000,
} as const;

const optionNames: readonly (keyof ProxyOptions)[] = [
  'upstream',
  'host',
  'port',
  'redisUrl',
  'upstreamKey',
  'clientKeys',
  'sharedCache',
  'tenantSecret',
  'maxBodyBytes',
  'shutdownTimeoutMs',
  'cacheOptions',
  'cache',
  'log',
];

/** The options after defaults. */
export interface ResolvedProxyOptions {
  upstream: string;
  host: string;
  port: number;
  redisUrl: string | undefined;
  upstreamKey: string | undefined;
  clientKeys: readonly string[];
  sharedCache: boolean;
  tenantSecret: string | undefined;
  maxBodyBytes: number;
  shutdownTimeoutMs: number;
  cacheOptions: SemanticCacheOptions;
  cache: SemanticCache | undefined;
  log: ((line: string) => void) | undefined;
}

/**
 * Checks `options` and applies the defaults.
 *
 * @throws {SemcacheError} `INVALID_OPTIONS` for an unknown option (naming the valid ones) or a
 *   wrong value (naming the option).
 */
export function resolveProxyOptions(options: ProxyOptions): ResolvedProxyOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid(`createProxy takes an options object, got ${describeValue(options)}`);
  }
  rejectUnknown('createProxy', options, optionNames);
  const d = proxyDefaults;
  const upstream = options.upstream ?? d.upstream;
  let parsed: URL | undefined;
  try {
    parsed = new URL(upstream);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw invalid(
      `upstream must be an http(s) URL like ${d.upstream}, got ${describeValue(upstream)}`,
    );
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw invalid('upstream must not hold credentials; pass the key as upstreamKey');
  }
  const port = options.port ?? d.port;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw invalid(`port must be an integer from 0 to 65535, got ${describeValue(port)}`);
  }
  const host = checkString(options.host ?? d.host, 'host');
  const redisUrl = optionalString(options.redisUrl, 'redisUrl');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw invalid('redisUrl must be a redis:// or rediss:// URL');
  }
  const upstreamKey = optionalString(options.upstreamKey, 'upstreamKey');
  const clientKeys = options.clientKeys ?? [];
  if (
    !Array.isArray(clientKeys) ||
    !clientKeys.every((key) => typeof key === 'string' && key !== '')
  ) {
    throw invalid('clientKeys must be an array of non-empty strings');
  }
  if (clientKeys.some((key) => /\s/.test(key))) {
    throw invalid('clientKeys must not contain spaces or line breaks');
  }
  if (upstreamKey !== undefined && clientKeys.length === 0) {
    throw invalid(
      'with an upstream key, clients must authenticate: pass clientKeys (CLI: --client-keys-env NAME or --client-keys-file PATH), so the proxy does not spend your key for anyone who can reach it',
    );
  }
  if (upstreamKey === undefined && clientKeys.length > 0) {
    throw invalid(
      'clientKeys need an upstream key: without one, each client’s own key goes upstream (CLI: set HOLYSHEEP_API_KEY or --upstream-key-env NAME)',
    );
  }
  const sharedCache = options.sharedCache ?? d.sharedCache;
  if (typeof sharedCache !== 'boolean') throw invalid('sharedCache must be true or false');
  const maxBodyBytes = options.maxBodyBytes ?? d.maxBodyBytes;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw invalid(`maxBodyBytes must be a positive integer, got ${describeValue(maxBodyBytes)}`);
  }
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? d.shutdownTimeoutMs;
  if (typeof shutdownTimeoutMs !== 'number' || !(shutdownTimeoutMs >= 0)) {
    throw invalid(
      `shutdownTimeoutMs must be a number ≥ 0, got ${describeValue(shutdownTimeoutMs)}`,
    );
  }
  const cache = options.cache;
  if (cache !== undefined) {
    if (typeof cache?.getOrStream !== 'function') {
      throw invalid('cache must be a cache from createSemanticCache() of @semcache/core');
    }
    if (redisUrl !== undefined || options.cacheOptions !== undefined) {
      throw invalid(
        'pass either cache, or redisUrl / cacheOptions for the cache the proxy creates',
      );
    }
  }
  const cacheOptions = options.cacheOptions ?? {};
  if (typeof cacheOptions !== 'object' || cacheOptions === null) {
    throw invalid('cacheOptions must be an options object of createSemanticCache');
  }
  if (redisUrl !== undefined && cacheOptions.store !== undefined) {
    throw invalid('pass either redisUrl or cacheOptions.store');
  }
  if (options.log !== undefined && typeof options.log !== 'function') {
    throw invalid('log must be a function that takes one line');
  }
  return {
    upstream: upstream.replace(/\/+$/, ''),
    host,
    port,
    redisUrl,
    upstreamKey,
    clientKeys,
    sharedCache,
    tenantSecret: optionalString(options.tenantSecret, 'tenantSecret'),
    maxBodyBytes,
    shutdownTimeoutMs,
    cacheOptions,
    cache,
    log: options.log,
  };
}

function checkString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') {
    throw invalid(`${name} must be a non-empty string, got ${describeValue(value)}`);
  }
  return value;
}

function optionalString(value: unknown, name: string): string | undefined {
  return value === undefined ? undefined : checkString(value, name);
}

function invalid(message: string): SemcacheError {
  return new SemcacheError('INVALID_OPTIONS', `${message}.`);
}
