import { expect, test } from 'vitest';
import { isDeterministicRequest, isStorableResponse } from './cache-policy.js';

const request = (params: Record<string, number | undefined>) => ({
  model: { provider: 'p', id: 'm' },
  messages: [],
  params,
});

test('deterministic: temperature 0 or unset, or a seed', () => {
  expect(isDeterministicRequest(request({}))).toBe(true);
  expect(isDeterministicRequest(request({ temperature: 0 }))).toBe(true);
  expect(isDeterministicRequest(request({ temperature: 0.7 }))).toBe(false);
  expect(isDeterministicRequest(request({ temperature: 0.7, seed: 3 }))).toBe(true);
});

test('storable: complete answers only', () => {
  expect(isStorableResponse({ value: 1 })).toBe(true);
  expect(isStorableResponse({ value: 1, finishReason: 'stop' })).toBe(true);
  expect(isStorableResponse({ value: 1, finishReason: 'length' })).toBe(false);
  expect(isStorableResponse({ value: 1, finishReason: 'length' }, ['length'])).toBe(true);
  expect(isStorableResponse({ value: 1, finishReason: 'stop', aborted: true })).toBe(false);
});
