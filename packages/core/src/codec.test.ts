import { describe, expect, test } from 'vitest';
import { decodeEntry, encodeEntry } from './codec.js';
import { isSemcacheError } from './errors.js';

const entry = {
  key: 'k',
  value: { text: 'hello', parts: [1, 2] },
  text: 'hi',
  modelId: 'gpt-4.1',
  usage: { inputTokens: 1, outputTokens: 2 },
  createdAt: 1000,
  expiresAt: 2000,
};

describe('codec', () => {
  test('round-trips an entry', () => {
    expect(decodeEntry(encodeEntry(entry))).toEqual(entry);
  });

  test.each([
    ['not JSON', '{oops'],
    ['truncated', encodeEntry(entry).slice(0, 20)],
    ['an array', '[1,2]'],
    ['a future version', encodeEntry(entry).replace('"v":1', '"v":2')],
    ['missing fields', '{"v":1,"k":"k"}'],
  ])('rejects %s as CORRUPT_ENTRY', (_, payload) => {
    expect(() => decodeEntry(payload)).toThrow();
    try {
      decodeEntry(payload);
    } catch (error) {
      expect(isSemcacheError(error, 'CORRUPT_ENTRY')).toBe(true);
    }
  });
});
