import { expect, test } from 'vitest';
import { cosineSimilarity } from './similarity.js';

test('cosine similarity is in [0, 1]: opposite vectors count as unrelated', () => {
  expect(cosineSimilarity(new Float32Array([1, 0]), new Float32Array([2, 0]))).toBeCloseTo(1);
  expect(cosineSimilarity(new Float32Array([1, 0]), new Float32Array([0, 1]))).toBe(0);
  expect(cosineSimilarity(new Float32Array([1, 0]), new Float32Array([-1, 0]))).toBe(0);
  expect(cosineSimilarity(new Float32Array([0, 0]), new Float32Array([1, 0]))).toBe(0);
  expect(cosineSimilarity(new Float32Array([1]), new Float32Array([1, 0]))).toBe(0);
});
