import type { SemanticCache } from '@semcache/core';
import type { ClientAuthResult } from './client-auth.js';
import type { ProxyMetrics } from './proxy-metrics.js';
import type { ResolvedProxyOptions } from './proxy-options.js';

/** One log record: plain fields only, never a key, a header value or request content. */
export type LogRecord = Record<string, string | number | boolean | undefined>;

/** What every route of one proxy shares. */
export interface ProxyContext {
  readonly options: ResolvedProxyOptions;
  readonly cache: SemanticCache;
  readonly metrics: ProxyMetrics;
  /** Checks a request's credentials and names its tenant. */
  readonly authorize: (headers: Headers) => ClientAuthResult;
  /** Writes one log record (a no-op without a `log` option). */
  readonly log: (record: LogRecord) => void;
}
