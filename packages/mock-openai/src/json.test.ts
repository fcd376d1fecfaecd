import { describe, expect, test } from 'vitest';
import { isJsonObject, parseJson } from './json.js';

describe('isJsonObject', () => {
  test('accepts plain objects only', () => {
    expect(isJsonObject({})).toBe(true);
    expect(isJsonObject([])).toBe(false);
    expect(isJsonObject(null)).toBe(false);
    expect(isJsonObject('x')).toBe(false);
  });
});

describe('parseJson', () => {
  test('returns the parsed value or ok: false', () => {
    expect(parseJson('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJson('{oops')).toEqual({ ok: false });
  });
});
