import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ask, type ProxyFixture, startFixture } from './proxy-fixture.test.helper.js';
import { ProxyMetrics } from './proxy-metrics.js';

describe('GET /metrics and GET /stats', () => {
  let f: ProxyFixture;
  beforeAll(async () => {
    f = await startFixture();
  });
  afterAll(async () => f.close());

  test('requests, hits by kind, misses, coalesced, upstream latency, dollars saved, in Prometheus text', async () => {
    await (await f.chat(ask('Metrics question?'))).text();
    await (await f.chat(ask('Metrics question?'))).text();
    await (await f.chat(ask('metrics question'))).text();
    await (await f.chat(ask('Metrics question?'), { 'cache-control': 'no-store' })).text();
    f.mock.setLatency(30);
    await Promise.all(
      Array.from({ length: 3 }, async () =>
        (await f.chat(ask('Concurrent metrics question?'))).text(),
      ),
    );
    f.mock.setLatency(0);
    await (await fetch(`${f.url}/models`)).text();
    const response = await fetch(new URL('/metrics', f.url));
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    expect(value('semcache_proxy_cache_hits_total{kind="exact"}')).toBe(1);
    expect(value('semcache_proxy_cache_hits_total{kind="semantic"}')).toBe(1);
    expect(value('semcache_proxy_cache_misses_total{reason="not-found"}')).toBe(4);
    expect(value('semcache_proxy_coalesced_total')).toBe(2);
    expect(value('semcache_proxy_chat_requests_total{cache="bypass",stream="false"}')).toBe(1);
    expect(value('semcache_proxy_requests_total{route="chat",status="200"}')).toBe(7);
    expect(value('semcache_proxy_requests_total{route="passthrough",status="200"}')).toBe(1);
    expect(value('semcache_proxy_upstream_requests_total{route="chat",status="200"}')).toBe(3);
    expect(
      value('semcache_proxy_upstream_duration_seconds_count{route="chat",stream="false"}'),
    ).toBe(3);
    expect(value('semcache_proxy_cache_stores_total')).toBe(2);
    expect(value('semcache_proxy_saved_usd_total')).toBeGreaterThan(0);
    expect(text).toContain('semcache_proxy_chat_duration_seconds_bucket{le="0.005",cache="exact"}');
    expect(text).not.toMatch(/^process_/m);

    const stats = (await (await fetch(new URL('/stats', f.url))).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({
      requests: 7,
      hits: { exact: 1, semantic: 1 },
      misses: 4,
      bypassed: 1,
      coalesced: 2,
      upstreamCalls: 3,
      upstreamCallsSaved: 4,
      hitRate: 2 / 6,
    });
    expect((stats.latencyMs as { hit: { count: number } }).hit.count).toBe(2);
  });

  test('each proxy has its own registry', () => {
    const a = new ProxyMetrics();
    const b = new ProxyMetrics();
    a.request('chat', 200);
    expect(a.registry).not.toBe(b.registry);
    expect(b.stats().requests).toBe(0);
  });
});
