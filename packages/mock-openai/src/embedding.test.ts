import { describe, expect, test } from 'vitest';
import { cosineSimilarity, embedText } from './embedding.js';

describe('embedText', () => {
  test('is deterministic, unit length and has the requested dimensions', () => {
    const a = embedText('What is the capital of France?', 64);
    expect(a).toHaveLength(64);
    expect(embedText('What is the capital of France?', 64)).toEqual(a);
    expect(Math.hypot(...a)).toBeCloseTo(1, 10);
    expect(embedText('x', 8)).toHaveLength(8);
  });

  test('ignores case and extra whitespace', () => {
    expect(embedText('Hello   World', 64)).toEqual(embedText('hello world', 64));
  });

  test('near-duplicates are close, unrelated texts are not', () => {
    const a = embedText('What is the capital of France?', 64);
    const near = embedText('what is the capital of france', 64);
    const far = embedText('Recommend a good pasta recipe for dinner tonight', 64);
    expect(cosineSimilarity(a, near)).toBeGreaterThan(0.85);
    expect(cosineSimilarity(a, far)).toBeLessThan(0.5);
  });

  test('gives empty text a fixed unit vector', () => {
    expect(embedText('', 4)).toEqual([1, 0, 0, 0]);
  });
});

describe('cosineSimilarity', () => {
  test('handles parallel, orthogonal and zero vectors', () => {
    expect(cosineSimilarity([1, 2], [2, 4])).toBeCloseTo(1);
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0);
    expect(cosineSimilarity([0, 0], [1, 1])).toBe(0);
  });
});
