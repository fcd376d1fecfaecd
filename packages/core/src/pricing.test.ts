import { expect, test } from 'vitest';
import { defaultPrices, estimateCostUsd } from './pricing.js';

test('estimates cost from usage and the price table, matching provider-prefixed ids', () => {
  expect(
    estimateCostUsd(defaultPrices, 'gpt-4.1', { inputTokens: 1_000_000, outputTokens: 1_000_000 }),
  ).toBe(10);
  expect(estimateCostUsd(defaultPrices, 'openai/gpt-4.1', { outputTokens: 500_000 })).toBe(4);
  expect(estimateCostUsd(defaultPrices, 'unknown-model', { outputTokens: 1 })).toBeUndefined();
  expect(estimateCostUsd(defaultPrices, 'gpt-4.1', undefined)).toBeUndefined();
  expect(
    estimateCostUsd({ mine: { inputPerMillion: 1, outputPerMillion: 0 } }, 'mine', {
      inputTokens: 2e6,
    }),
  ).toBe(2);
});
