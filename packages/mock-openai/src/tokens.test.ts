import { expect, test } from 'vitest';
import { estimateTokens } from './tokens.js';

test('estimateTokens is ceil(chars / 4)', () => {
  expect(estimateTokens('')).toBe(0);
  expect(estimateTokens('abcd')).toBe(1);
  expect(estimateTokens('abcde')).toBe(2);
});
