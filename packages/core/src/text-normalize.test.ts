import { expect, test } from 'vitest';
import { normalizeText, segmentWords } from './text-normalize.js';

test('normalises width, case and spaces, and segments English and Chinese words', () => {
  expect(normalizeText('  Ｈｅｌｌｏ\n  World ')).toBe('hello world');
  expect(segmentWords("don't stop, 2 times!")).toEqual(["don't", 'stop', '2', 'times']);
  expect(segmentWords('我喜欢北京').length).toBeGreaterThan(1);
});
