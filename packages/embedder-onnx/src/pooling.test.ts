import { describe, expect, test } from 'vitest';
import { l2Normalize, poolTokens } from './pooling.js';

// 3 tokens × 2 dimensions, row-major: token t is [hidden[2t], hidden[2t + 1]].
const hidden = Float32Array.from([1, 2, 3, 4, 100, 200]);

describe('poolTokens', () => {
  test('mean pooling averages the tokens whose mask is 1', () => {
    expect(Array.from(poolTokens(hidden, [1, 1, 1], 3, 2, 'mean'))).toEqual([104 / 3, 206 / 3]);
    expect(Array.from(poolTokens(hidden, [1, 1, 0], 3, 2, 'mean'))).toEqual([2, 3]);
  });

  test('CLS pooling takes the first token', () => {
    expect(Array.from(poolTokens(hidden, [1, 1, 1], 3, 2, 'cls'))).toEqual([1, 2]);
  });

  test('rejects a tensor that does not match its shape', () => {
    expect(() => poolTokens(hidden, [1, 1], 3, 2, 'mean')).toThrow(RangeError);
    expect(() => poolTokens(hidden, [1, 1, 1], 2, 2, 'mean')).toThrow(/3 mask entries|2 × 2/);
  });
});

describe('l2Normalize', () => {
  test('writes the unit vector at the offset and leaves the rest', () => {
    const target = new Float32Array(5);
    expect(l2Normalize(Float64Array.from([3, 4]), target, 2)).toBe(true);
    expect(Array.from(target)).toEqual([0, 0, Math.fround(0.6), Math.fround(0.8), 0]);
  });

  test('refuses a zero or non-finite vector', () => {
    const target = new Float32Array(2);
    expect(l2Normalize(Float64Array.from([0, 0]), target)).toBe(false);
    expect(l2Normalize(Float64Array.from([Number.NaN, 1]), target)).toBe(false);
    expect(l2Normalize(Float64Array.from([Number.POSITIVE_INFINITY, 1]), target)).toBe(false);
    expect(Array.from(target)).toEqual([0, 0]);
  });
});
