import { describe, expect, test } from 'vitest';
import { VectorIndex } from './vector-index.js';

function randomUnit(dimensions: number, random: () => number): Float32Array {
  const v = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    v[i] = random() - 0.5;
    norm += v[i]! ** 2;
  }
  return v.map((x) => x / Math.sqrt(norm));
}

/** A unit vector at cosine ≈ `cos` from `base`. */
function near(base: Float32Array, cos: number, random: () => number): Float32Array {
  const noise = randomUnit(base.length, random);
  let dot = 0;
  for (let i = 0; i < base.length; i++) dot += noise[i]! * base[i]!;
  const orthogonal = noise.map((x, i) => x - dot * base[i]!);
  const norm = Math.sqrt(orthogonal.reduce((s, x) => s + x * x, 0));
  const sin = Math.sqrt(1 - cos * cos);
  return base.map((x, i) => cos * x + (sin * orthogonal[i]!) / norm);
}

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('VectorIndex', () => {
  test('finds the nearest vectors best first, with clamped similarities', () => {
    const random = seeded(1);
    const index = new VectorIndex({ dimensions: 32 });
    const base = randomUnit(32, random);
    index.add('close', near(base, 0.95, random));
    index.add('far', near(base, 0.5, random));
    index.add('same', base);
    const matches = index.search(base, { minSimilarity: 0.4, limit: 10 });
    expect(matches.map((m) => m.id)).toEqual(['same', 'close', 'far']);
    expect(matches[0]!.similarity).toBeLessThanOrEqual(1);
    expect(index.search(base, { minSimilarity: 0.9, limit: 1 }).map((m) => m.id)).toEqual(['same']);
  });

  test('remove and replace take effect immediately', () => {
    const random = seeded(2);
    const index = new VectorIndex({ dimensions: 16 });
    const a = randomUnit(16, random);
    index.add('a', a);
    index.add('a', randomUnit(16, random));
    expect(index.size).toBe(1);
    expect(index.search(a, { minSimilarity: 0.99, limit: 1 })).toEqual([]);
    index.remove('a');
    expect(index.size).toBe(0);
  });

  test('past flatLimit it switches to LSH and still finds neighbours above 0.85 (recall ≥ 97 %)', () => {
    const random = seeded(3);
    const dimensions = 64;
    const index = new VectorIndex({ dimensions, flatLimit: 200 });
    const queries: Array<{ id: string; query: Float32Array }> = [];
    for (let i = 0; i < 3000; i++) {
      const vector = randomUnit(dimensions, random);
      index.add(`v${i}`, vector);
      if (i % 10 === 0) queries.push({ id: `v${i}`, query: near(vector, 0.88, random) });
    }
    expect(index.isFlat).toBe(false);
    const found = queries.filter(({ id, query }) =>
      index.search(query, { minSimilarity: 0.85, limit: 1 }).some((m) => m.id === id),
    ).length;
    expect(found / queries.length).toBeGreaterThanOrEqual(0.97);
  });

  test('removals after the switch leave no stale results, and slots are reused', () => {
    const random = seeded(4);
    const index = new VectorIndex({ dimensions: 32, flatLimit: 10 });
    const vectors = Array.from({ length: 50 }, () => randomUnit(32, random));
    for (const [i, v] of vectors.entries()) index.add(`v${i}`, v);
    for (let i = 0; i < 50; i += 2) index.remove(`v${i}`);
    for (let i = 0; i < 50; i++) {
      const ids = index.search(vectors[i]!, { minSimilarity: 0.99, limit: 1 }).map((m) => m.id);
      expect(ids).toEqual(i % 2 === 0 ? [] : [`v${i}`]);
    }
    index.add('new', vectors[0]!);
    expect(index.search(vectors[0]!, { minSimilarity: 0.99, limit: 1 })[0]?.id).toBe('new');
  });

  test('rejects vectors of the wrong length with a typed error', () => {
    const index = new VectorIndex({ dimensions: 8 });
    expect(() => index.add('x', new Float32Array(4))).toThrow(/length 8/);
    expect(() => new VectorIndex({ dimensions: 0 })).toThrow(/dimensions/);
  });
});
