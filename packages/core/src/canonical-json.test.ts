import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { isSemcacheError } from './errors.js';

describe('canonicalJson', () => {
  test('sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: undefined }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"z":1}]},"b":1}',
    );
  });

  test('writes -0 as 0, dates as ISO strings and bytes as base64', () => {
    expect(canonicalJson([-0, new Date(0), new Uint8Array([1, 2, 3])])).toBe(
      '[0,"1970-01-01T00:00:00.000Z","AQID"]',
    );
  });

  test('normalises strings to NFC', () => {
    expect(canonicalJson('Cafe\u0301')).toBe(canonicalJson('Caf\u00e9'));
  });

  test.each([
    ['NaN', { temperature: Number.NaN }],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['a function', { f: () => 1 }],
    ['a bigint', { n: 1n }],
  ])('rejects %s with a typed error naming the path', (_, value) => {
    try {
      canonicalJson(value);
      expect.unreachable();
    } catch (error) {
      expect(isSemcacheError(error, 'INVALID_REQUEST')).toBe(true);
      expect((error as Error).message).toMatch(/\$/);
    }
  });

  test('every string and key reads back as its NFC form, and keys sort by code unit', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.constantFrom('a"b', 'a\\b', '\u007f', 'tab\there', 'Cafe\u0301', '\u212b'),
    );
    fc.assert(
      fc.property(text, text, fc.integer(), (key, value, n) => {
        const parsed = JSON.parse(canonicalJson({ [key]: value, z: n })) as Record<string, unknown>;
        expect(parsed[key.normalize('NFC')]).toBe(value.normalize('NFC'));
        const keys = Object.keys(JSON.parse(canonicalJson({ z: 1, [key]: 2, A: 3 })));
        expect(keys).toEqual([...keys].sort());
      }),
      { numRuns: 2000, seed: 11 },
    );
  });

  test('names the full path of the offending value', () => {
    expect(() => canonicalJson({ params: { stop: ['a', Number.NaN] } })).toThrow(
      /at \$\.params\.stop\[1\];/,
    );
    expect(() => canonicalJson([{ ok: 1 }, { tools: [{ run: () => 1 }] }])).toThrow(
      /at \$\[1\]\.tools\[0\]\.run;/,
    );
  });

  test('rejects circular structures but accepts shared (non-circular) references', () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    expect(() => canonicalJson(circular)).toThrow(/circular reference at \$\.self/);
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});
