import type { SemanticCache } from '@semcache/core';
import { LatencyHistogram } from '@semcache/core/internal';
import { Counter, Histogram, Registry } from 'prom-client';

/** How the cache answered one chat request (the `x-semcache` header). */
export type CacheOutcome = 'exact' | 'semantic' | 'miss' | 'bypass';

/** The live numbers the page shows (`GET /stats`). */
export interface ProxyStats {
  /** Chat completion requests answered. */
  requests: number;
  hits: { exact: number; semantic: number };
  misses: number;
  bypassed: number;
  /** Misses answered by another caller's upstream call (identical concurrent requests). */
  coalesced: number;
  /** Chat calls sent to the upstream. */
  upstreamCalls: number;
  /** Chat requests answered without an upstream call of their own: hits and coalesced misses. */
  upstreamCallsSaved: number;
  /** Hits / (hits + misses); bypassed requests do not count. */
  hitRate: number;
  /** Estimated cost of the upstream calls hits avoided (from token usage × price). */
  savedUsd: number;
  /** Response times of the proxy, in milliseconds (streams: until their last byte). */
  latencyMs: { hit: LatencyView; miss: LatencyView };
}

/** Percentiles of one kind of response. */
export interface LatencyView {
  count: number;
  p50: number;
  p99: number;
}

const latencyBuckets = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/**
 * The proxy's metrics, in a prom-client registry of its own (never the global one): requests by
 * route and status, chat answers by cache outcome, cache hits by kind, misses, coalesced
 * callers, upstream calls and their latency, response latency by outcome, estimated dollars
 * saved, stores and store errors. No label ever holds a key, a tenant or request content.
 */
export class ProxyMetrics {
  readonly registry = new Registry();
  readonly #requests = new Counter({
    name: 'semcache_proxy_requests_total',
    help: 'HTTP requests answered, by route and status.',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly #chat = new Counter({
    name: 'semcache_proxy_chat_requests_total',
    help: 'Chat completion requests, by how the cache answered (x-semcache) and whether the request was streamed.',
    labelNames: ['cache', 'stream'] as const,
    registers: [this.registry],
  });
  readonly #hits = new Counter({
    name: 'semcache_proxy_cache_hits_total',
    help: 'Cache hits, by kind (exact, semantic).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly #misses = new Counter({
    name: 'semcache_proxy_cache_misses_total',
    help: 'Cache lookups that found nothing servable, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly #coalesced = new Counter({
    name: 'semcache_proxy_coalesced_total',
    help: "Requests answered by an identical concurrent request's upstream call.",
    registers: [this.registry],
  });
  readonly #stores = new Counter({
    name: 'semcache_proxy_cache_stores_total',
    help: 'Answers written to the cache.',
    registers: [this.registry],
  });
  readonly #storeErrors = new Counter({
    name: 'semcache_proxy_store_errors_total',
    help: 'Cache operations that failed (the request went on without the cache), by operation.',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });
  readonly #savedUsd = new Counter({
    name: 'semcache_proxy_saved_usd_total',
    help: 'Estimated cost of the upstream calls cache hits avoided, in US dollars.',
    registers: [this.registry],
  });
  readonly #upstreamCalls = new Counter({
    name: 'semcache_proxy_upstream_requests_total',
    help: 'Requests sent to the upstream, by route and status (0: unreachable or cancelled).',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly #upstreamLatency = new Histogram({
    name: 'semcache_proxy_upstream_duration_seconds',
    help: 'Time from sending a request upstream to the end of its answer (streams: the last chunk).',
    labelNames: ['route', 'stream'] as const,
    buckets: latencyBuckets,
    registers: [this.registry],
  });
  readonly #responseLatency = new Histogram({
    name: 'semcache_proxy_chat_duration_seconds',
    help: 'Time to answer a chat completion request (streams: until the last byte), by cache outcome.',
    labelNames: ['cache'] as const,
    buckets: latencyBuckets,
    registers: [this.registry],
  });
  readonly #counts = {
    requests: 0,
    exact: 0,
    semantic: 0,
    misses: 0,
    bypassed: 0,
    coalesced: 0,
    upstreamCalls: 0,
    saved: 0,
    savedUsd: 0,
  };
  readonly #latency = { hit: new LatencyHistogram(), miss: new LatencyHistogram() };

  /** Counts the cache's own events (hits, misses, coalesced callers, stores, errors, savings). */
  attach(cache: Pick<SemanticCache, 'on'>): () => void {
    const stops = [
      cache.on('hit', (hit) => {
        this.#hits.inc({ kind: hit.kind });
        if (hit.savedUsd !== undefined && hit.savedUsd > 0) {
          this.#savedUsd.inc(hit.savedUsd);
          this.#counts.savedUsd += hit.savedUsd;
        }
      }),
      cache.on('miss', (miss) => this.#misses.inc({ reason: miss.reason })),
      cache.on('coalesced', () => this.#coalesced.inc()),
      cache.on('store', () => this.#stores.inc()),
      cache.on('error', (event) => this.#storeErrors.inc({ operation: event.operation })),
    ];
    return () => {
      for (const stop of stops) stop();
    };
  }

  /** Counts one answered HTTP request. */
  request(route: string, status: number): void {
    this.#requests.inc({ route, status: String(status) });
  }

  /** Counts one answered chat request and its response time. */
  chat(outcome: CacheOutcome, stream: boolean, ms: number, coalesced: boolean): void {
    const counts = this.#counts;
    counts.requests++;
    this.#chat.inc({ cache: outcome, stream: String(stream) });
    this.#responseLatency.observe({ cache: outcome }, ms / 1000);
    if (outcome === 'exact' || outcome === 'semantic') {
      counts[outcome]++;
      counts.saved++;
      this.#latency.hit.record(ms);
    } else if (outcome === 'miss') {
      counts.misses++;
      if (coalesced) {
        counts.coalesced++;
        counts.saved++;
      } else this.#latency.miss.record(ms);
    } else counts.bypassed++;
  }

  /** Counts one upstream call and its duration. */
  upstream(route: string, stream: boolean, status: number, ms: number): void {
    if (route === 'chat') this.#counts.upstreamCalls++;
    this.#upstreamCalls.inc({ route, status: String(status) });
    this.#upstreamLatency.observe({ route, stream: String(stream) }, ms / 1000);
  }

  /** The numbers of the page. */
  stats(): ProxyStats {
    const c = this.#counts;
    const hits = c.exact + c.semantic;
    const view = (histogram: LatencyHistogram): LatencyView => {
      const { count, p50, p99 } = histogram.summary();
      return { count, p50, p99 };
    };
    return {
      requests: c.requests,
      hits: { exact: c.exact, semantic: c.semantic },
      misses: c.misses,
      bypassed: c.bypassed,
      coalesced: c.coalesced,
      upstreamCalls: c.upstreamCalls,
      upstreamCallsSaved: c.saved,
      hitRate: hits + c.misses === 0 ? 0 : hits / (hits + c.misses),
      savedUsd: c.savedUsd,
      latencyMs: { hit: view(this.#latency.hit), miss: view(this.#latency.miss) },
    };
  }
}
