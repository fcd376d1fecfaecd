import { expect, test } from 'vitest';
import { LatencyHistogram } from './latency-histogram.js';

test('percentiles are within the bucket error and memory does not grow with samples', () => {
  const histogram = new LatencyHistogram();
  for (let i = 1; i <= 1000; i++) histogram.record(i / 10);
  histogram.record(Number.NaN);
  histogram.record(-1);
  const summary = histogram.summary();
  expect(summary.count).toBe(1000);
  expect(summary.p50).toBeGreaterThanOrEqual(50);
  expect(summary.p50).toBeLessThan(50 * 1.1);
  expect(summary.p99).toBeGreaterThanOrEqual(99);
  expect(summary.p99).toBeLessThanOrEqual(100);
  expect(summary.max).toBe(100);
  histogram.reset();
  expect(histogram.summary()).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0 });
});
