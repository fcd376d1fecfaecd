import {
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
  metrics,
} from '@opentelemetry/api';
import type { CacheEventListener, CacheEventName } from './events.js';

/** Name of the OpenTelemetry meter the cache records its metrics with. */
export const telemetryMeterName = '@semcache/core';

/**
 * The metrics every cache records through `@opentelemetry/api`, by name. Without an OpenTelemetry
 * SDK registered they cost one no-op call per event.
 */
export const telemetryMetricNames = {
  /** Counter: lookups, by `semcache.result` (`exact`, `semantic`, `miss`) and, for misses, `semcache.miss_reason`. */
  lookups: 'semcache.lookups',
  /** Histogram, seconds: lookup latency, by `semcache.result`. */
  lookupDuration: 'semcache.lookup.duration',
  /** Counter: callers that received another caller's answer, by `semcache.scope` (`process`, `distributed`). */
  coalesced: 'semcache.coalesced',
  /** Counter: entries written. */
  stores: 'semcache.stores',
  /** Counter: cache operations that failed (the call went on without the cache), by `semcache.operation`. */
  errors: 'semcache.errors',
  /** Counter, USD: estimated cost of the model calls hits avoided. */
  savedUsd: 'semcache.saved_usd',
} as const;

/** Subscribes to one cache event (the cache's `on`). */
type Subscribe = <E extends CacheEventName>(
  event: E,
  listener: CacheEventListener<E>,
) => () => void;

interface Instruments {
  provider: MeterProvider;
  lookups: Counter;
  lookupDuration: Histogram;
  coalesced: Counter;
  stores: Counter;
  errors: Counter;
  savedUsd: Counter;
}

/** Lookup latencies are sub-millisecond on hits and up to the store and embed timeouts on misses. */
const durationBuckets = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/**
 * Records a cache's events as OpenTelemetry metrics ({@link telemetryMetricNames}) on the global
 * `MeterProvider`. The instruments follow the global provider: one registered after the cache was
 * created is used from the next event on. Returns a function that stops recording.
 */
export function recordTelemetry(on: Subscribe): () => void {
  let instruments: Instruments | undefined;
  const current = (): Instruments => {
    const provider = metrics.getMeterProvider();
    if (instruments?.provider !== provider) instruments = createInstruments(provider);
    return instruments;
  };
  // Attribute sets are reused, so recording allocates nothing on the hit path.
  const exact: Attributes = { 'semcache.result': 'exact' };
  const semantic: Attributes = { 'semcache.result': 'semantic' };
  const missDuration: Attributes = { 'semcache.result': 'miss' };
  const byReason = new Map<string, Attributes>();
  const byScope = new Map<string, Attributes>();
  const byOperation = new Map<string, Attributes>();
  const unsubscribe = [
    on('hit', (hit) => {
      const { lookups, lookupDuration, savedUsd } = current();
      const attributes = hit.kind === 'exact' ? exact : semantic;
      lookups.add(1, attributes);
      lookupDuration.record(hit.latencyMs / 1000, attributes);
      if (hit.savedUsd !== undefined && hit.savedUsd > 0) savedUsd.add(hit.savedUsd);
    }),
    on('miss', (miss) => {
      const { lookups, lookupDuration } = current();
      lookups.add(1, cached(byReason, miss.reason, missAttributes));
      lookupDuration.record(miss.latencyMs / 1000, missDuration);
    }),
    on('coalesced', (event) => {
      current().coalesced.add(
        1,
        cached(byScope, event.scope, (scope) => ({ 'semcache.scope': scope })),
      );
    }),
    on('store', () => {
      current().stores.add(1);
    }),
    on('error', (event) => {
      current().errors.add(
        1,
        cached(byOperation, event.operation, (operation) => ({ 'semcache.operation': operation })),
      );
    }),
  ];
  return () => {
    for (const stop of unsubscribe) stop();
  };
}

function missAttributes(reason: string): Attributes {
  return { 'semcache.result': 'miss', 'semcache.miss_reason': reason };
}

/** Operation names come from a small fixed set, but a bound keeps a bug from growing the map. */
const maxAttributeSets = 100;

function cached(map: Map<string, Attributes>, key: string, make: (key: string) => Attributes) {
  let attributes = map.get(key);
  if (!attributes) {
    attributes = make(key);
    if (map.size < maxAttributeSets) map.set(key, attributes);
  }
  return attributes;
}

function createInstruments(provider: MeterProvider): Instruments {
  const meter = provider.getMeter(telemetryMeterName);
  const n = telemetryMetricNames;
  return {
    provider,
    lookups: meter.createCounter(n.lookups, {
      description: 'Cache lookups, by result (exact, semantic, miss) and miss reason.',
    }),
    lookupDuration: meter.createHistogram(n.lookupDuration, {
      description: 'Latency of cache lookups.',
      unit: 's',
      advice: { explicitBucketBoundaries: durationBuckets },
    }),
    coalesced: meter.createCounter(n.coalesced, {
      description:
        "Callers that received another caller's model answer instead of calling the model.",
    }),
    stores: meter.createCounter(n.stores, { description: 'Entries written to the store.' }),
    errors: meter.createCounter(n.errors, {
      description: 'Cache operations that failed; the call went on without the cache.',
    }),
    savedUsd: meter.createCounter(n.savedUsd, {
      description: 'Estimated cost of the model calls that cache hits avoided.',
      unit: '{USD}',
    }),
  };
}
