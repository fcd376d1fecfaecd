import { expect, test } from 'vitest';
import { normalizeText, segmentWords, stemEnglish } from './text-normalize.js';

test('normalises width, case and spaces, and segments English and Chinese words', () => {
  expect(normalizeText('  Ｈｅｌｌｏ\n  World ')).toBe('hello world');
  expect(segmentWords("don't stop, 2 times!")).toEqual(["don't", 'stop', '2', 'times']);
  expect(segmentWords('我喜欢北京').length).toBeGreaterThan(1);
});

test.each([
  ['passwords', 'password'],
  ['cities', 'city'],
  ['boxes', 'box'],
  ['watches', 'watch'],
  ['learning', 'learn'],
  ['running', 'run'],
  ['stopped', 'stop'],
  ['falling', 'fall'],
  ['worked', 'work'],
  ['ways', 'way'],
])('stemEnglish(%s) is %s', (word, stem) => {
  expect(stemEnglish(word)).toBe(stem);
});

test.each(['class', 'status', 'analysis', 'thing', 'sing', 'red', 'bus', 'c++', 'node.js', '数据'])(
  'stemEnglish leaves %s alone',
  (word) => {
    expect(stemEnglish(word)).toBe(word);
  },
);
