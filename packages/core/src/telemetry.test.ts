import { metrics } from '@opentelemetry/api';
import {
  DataPointType,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, test } from 'vitest';
import type { CacheRequest } from './cache-request.js';
import type { CacheStore } from './cache-store.js';
import { MemoryStore } from './memory-store.js';
import { createSemanticCache } from './semantic-cache.js';
import { telemetryMeterName, telemetryMetricNames } from './telemetry.js';

/** A reader that collects on demand: the in-memory metric reader of the SDK's own tests. */
class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function withSdk(): { reader: TestReader; provider: MeterProvider } {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  return { reader, provider };
}

afterEach(() => {
  metrics.disable();
});

interface Point {
  attributes: Record<string, unknown>;
  /** Sums: the value. */
  value?: number;
  /** Histograms: how many values and their sum. */
  count?: number;
  sum?: number;
}

/** One point per attribute set of a metric: its value (sums) or count and sum (histograms). */
function points(collected: ResourceMetrics, name: string): Point[] {
  const found = collected.scopeMetrics
    .filter((scope) => scope.scope.name === telemetryMeterName)
    .flatMap((scope) => scope.metrics)
    .find((metric) => metric.descriptor.name === name);
  if (!found) return [];
  return found.dataPoints.map((point): Point => {
    if (found.dataPointType === DataPointType.HISTOGRAM) {
      const { count, sum } = point.value as { count: number; sum: number };
      return { attributes: point.attributes, count, sum };
    }
    return { attributes: point.attributes, value: point.value as number };
  });
}

const ask = (text: string): CacheRequest => ({
  model: { provider: 'openai.chat', id: 'gpt-4.1' },
  messages: [{ role: 'user', content: [{ type: 'text', text }] }],
});

const answer = {
  value: { text: 'Paris.' },
  usage: { inputTokens: 1000, outputTokens: 1000 },
  finishReason: 'stop',
};

describe('OpenTelemetry metrics from the cache events', () => {
  test('lookups by result, latency, stores, coalesced callers, errors and saved USD', async () => {
    const { reader } = withSdk();
    const cache = createSemanticCache();
    // Two concurrent identical misses: one model call, one coalesced caller.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const compute = async () => {
      await gate;
      return answer;
    };
    const first = cache.getOrCompute(ask('What is the capital of France?'), compute);
    const second = cache.getOrCompute(ask('What is the capital of France?'), compute);
    await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    await Promise.all([first, second]);
    expect((await cache.lookup(ask('What is the capital of France?'))).kind).toBe('exact');
    expect((await cache.lookup(ask('what is the capital of france'))).kind).toBe('semantic');
    await cache.lookup(ask('Something else entirely'), { bypass: true });
    cache.reportError('search', new Error('planted'));

    const { resourceMetrics } = await reader.collect();
    const n = telemetryMetricNames;
    const lookups = points(resourceMetrics, n.lookups);
    const byResult = (result: string, reason?: string) =>
      lookups.find(
        (point) =>
          point.attributes['semcache.result'] === result &&
          point.attributes['semcache.miss_reason'] === reason,
      )?.value;
    expect(byResult('exact')).toBe(1);
    expect(byResult('semantic')).toBe(1);
    expect(byResult('miss', 'not-found')).toBe(2);
    expect(byResult('miss', 'bypass')).toBe(1);
    const durations = points(resourceMetrics, n.lookupDuration);
    expect(durations.reduce((sum, point) => sum + (point.count ?? 0), 0)).toBe(5);
    expect(durations.every((point) => (point.sum ?? -1) >= 0)).toBe(true);
    expect(points(resourceMetrics, n.stores)).toEqual([{ attributes: {}, value: 1 }]);
    expect(points(resourceMetrics, n.coalesced)).toEqual([
      { attributes: { 'semcache.scope': 'process' }, value: 1 },
    ]);
    expect(points(resourceMetrics, n.errors)).toEqual([
      { attributes: { 'semcache.operation': 'search' }, value: 1 },
    ]);
    const saved = points(resourceMetrics, n.savedUsd)[0]?.value ?? 0;
    const stats = cache.stats();
    expect(stats.savedUsd).toBeGreaterThan(0);
    expect(saved).toBeCloseTo(stats.savedUsd, 10);
    await cache.close();
  });

  test('a MeterProvider registered after the cache was created receives its metrics', async () => {
    const cache = createSemanticCache();
    await cache.lookup(ask('before the SDK'));
    const { reader } = withSdk();
    await cache.lookup(ask('after the SDK'));
    const { resourceMetrics } = await reader.collect();
    expect(points(resourceMetrics, telemetryMetricNames.lookups)).toEqual([
      { attributes: { 'semcache.result': 'miss', 'semcache.miss_reason': 'not-found' }, value: 1 },
    ]);
    await cache.close();
  });

  test('without an SDK the meter is a no-op and the cache works as before', async () => {
    const failing: CacheStore = Object.assign(new MemoryStore(), {
      get: async () => {
        throw new Error('store down');
      },
    });
    const cache = createSemanticCache({ store: failing });
    const result = await cache.getOrCompute(ask('Is the store down?'), async () => answer);
    expect(result.kind).toBe('miss');
    expect(cache.stats().errors).toBeGreaterThan(0);
    await cache.close();
  });
});
