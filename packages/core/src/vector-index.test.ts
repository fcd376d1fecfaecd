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

  test('deferTables: stays an exact scan past flatLimit until buildStep built the tables in slices, with adds and removals in between', () => {
    const random = seeded(5);
    const dimensions = 64;
    const index = new VectorIndex({ dimensions, flatLimit: 100, deferTables: true });
    const vectors = new Map<string, Float32Array>();
    for (let i = 0; i < 1500; i++) {
      const vector = randomUnit(dimensions, random);
      index.add(`v${i}`, vector);
      vectors.set(`v${i}`, vector);
    }
    expect(index.isFlat).toBe(true);
    expect(index.needsTables).toBe(true);
    let steps = 0;
    let removed = 0;
    const removedVectors = new Map<string, Float32Array>();
    // Tiny budgets: many steps, with the index changing between them.
    while (!index.buildStep(0)) {
      steps++;
      const id = `v${steps * 7}`;
      const vector = vectors.get(id);
      if (vector && vectors.delete(id)) {
        index.remove(id);
        removedVectors.set(id, vector);
        removed++;
      }
      const added = randomUnit(dimensions, random);
      index.add(`new${steps}`, added);
      vectors.set(`new${steps}`, added);
    }
    expect(steps).toBeGreaterThan(5);
    expect(removed).toBeGreaterThan(0);
    expect(index.isFlat).toBe(false);
    expect(index.size).toBe(vectors.size);
    // Every vector, original or added during the build, is found by its near neighbour; removed ones never.
    let found = 0;
    for (const [id, vector] of vectors) {
      const matches = index.search(near(vector, 0.95, random), { minSimilarity: 0.9, limit: 1 });
      if (matches[0]?.id === id) found++;
    }
    expect(found / vectors.size).toBeGreaterThanOrEqual(0.99);
    for (const [id, vector] of removedVectors) {
      expect(index.has(id)).toBe(false);
      expect(index.search(vector, { minSimilarity: 0.99, limit: 3 }).some((m) => m.id === id)).toBe(
        false,
      );
    }
  });

  test('neighbours just above the threshold are not lost to the bucket-signature filter', () => {
    const random = seeded(13);
    const dimensions = 128;
    const index = new VectorIndex({ dimensions, flatLimit: 200 });
    const queries: Array<{ id: string; query: Float32Array; similarity: number }> = [];
    for (let i = 0; i < 4000; i++) {
      const vector = randomUnit(dimensions, random);
      index.add(`v${i}`, vector);
      if (i % 10 === 0) {
        const query = near(vector, 0.915, random);
        let dot = 0;
        for (let d = 0; d < dimensions; d++) dot += query[d]! * vector[d]!;
        queries.push({ id: `v${i}`, query, similarity: dot });
      }
    }
    const found = queries.filter(({ id, query }) =>
      index.search(query, { minSimilarity: 0.91, limit: 1 }).some((m) => m.id === id),
    ).length;
    // 48 bands × 14 bits put a 0.915 neighbour in a shared bucket with probability ~0.999.
    expect(found / queries.length).toBeGreaterThanOrEqual(0.98);
    expect(queries.every(({ similarity }) => similarity >= 0.91)).toBe(true);
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

  test('remove and re-add of the same id in LSH mode finds only the new vector', () => {
    const random = seeded(5);
    const index = new VectorIndex({ dimensions: 32, flatLimit: 20 });
    const vectors = Array.from({ length: 200 }, () => randomUnit(32, random));
    for (const [i, v] of vectors.entries()) index.add(`v${i}`, v);
    expect(index.isFlat).toBe(false);
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 200; i += 3) {
        const replacement = randomUnit(32, random);
        if (round % 2 === 0) index.remove(`v${i}`);
        index.add(`v${i}`, replacement);
        expect(index.search(vectors[i]!, { minSimilarity: 0.99, limit: 5 })).toEqual([]);
        vectors[i] = replacement;
      }
    }
    expect(index.size).toBe(200);
    for (const [i, v] of vectors.entries()) {
      expect(index.search(v, { minSimilarity: 0.99, limit: 5 }).map((m) => m.id)).toEqual([
        `v${i}`,
      ]);
    }
  });

  test('reused slots leave no stale bucket links, whatever the removal order', () => {
    const random = seeded(6);
    // 2 bands of 2 bits: every bucket holds many slots, so removals hit the head, middle and tail.
    const index = new VectorIndex({ dimensions: 16, flatLimit: 5, bands: 2, bitsPerBand: 2 });
    const live = new Map<string, Float32Array>();
    let next = 0;
    for (let step = 0; step < 2000; step++) {
      const ids = [...live.keys()];
      if (ids.length > 0 && random() < 0.45) {
        const id = ids[Math.floor(random() * ids.length)]!;
        expect(index.remove(id)).toBe(true);
        live.delete(id);
      } else {
        const id = `v${next++}`;
        const vector = randomUnit(16, random);
        index.add(id, vector);
        live.set(id, vector);
      }
    }
    expect(index.size).toBe(live.size);
    expect(index.isFlat).toBe(false);
    const all = index.search(randomUnit(16, random), { minSimilarity: 0.75, limit: 10_000 });
    for (const match of all) expect(live.has(match.id)).toBe(true);
    for (const [id, vector] of live) {
      expect(index.search(vector, { minSimilarity: 0.999, limit: 1 })[0]?.id).toBe(id);
    }
  });

  test('many entries in one bucket: each is found once, removals from any position', () => {
    const random = seeded(7);
    const index = new VectorIndex({ dimensions: 24, flatLimit: 10 });
    const shared = randomUnit(24, random);
    for (let i = 0; i < 300; i++) index.add(`d${i}`, shared);
    for (let i = 0; i < 50; i++) index.add(`other${i}`, randomUnit(24, random));
    expect(index.isFlat).toBe(false);
    const search = () =>
      index.search(shared, { minSimilarity: 0.99, limit: 1000 }).map((m) => m.id);
    expect(search()).toEqual(Array.from({ length: 300 }, (_, i) => `d${i}`));
    const removed = new Set([0, 1, 150, 298, 299, ...Array.from({ length: 40 }, (_, i) => 60 + i)]);
    for (const i of removed) index.remove(`d${i}`);
    expect(search()).toEqual(
      Array.from({ length: 300 }, (_, i) => i)
        .filter((i) => !removed.has(i))
        .map((i) => `d${i}`),
    );
    index.add('again', shared);
    const all = search();
    expect(all).toHaveLength(300 - removed.size + 1);
    expect(all).toContain('again');
    expect(index.search(shared, { minSimilarity: 0.99, limit: 2 }).map((m) => m.id)).toEqual(
      all.slice(0, 2),
    );
  });

  test('equal similarities rank the same in LSH and exact-scan mode', () => {
    const random = seeded(8);
    const lsh = new VectorIndex({ dimensions: 32, flatLimit: 10 });
    const exact = new VectorIndex({ dimensions: 32, flatLimit: 100_000 });
    const shared = randomUnit(32, random);
    for (let i = 0; i < 400; i++) {
      const vector = i % 4 === 0 ? shared : randomUnit(32, random);
      lsh.add(`v${i}`, vector);
      exact.add(`v${i}`, vector);
    }
    for (let i = 0; i < 400; i += 7) {
      lsh.remove(`v${i}`);
      exact.remove(`v${i}`);
    }
    for (let i = 0; i < 30; i++) {
      lsh.add(`n${i}`, shared);
      exact.add(`n${i}`, shared);
    }
    for (const limit of [1, 3, 40, 1000]) {
      const query = { minSimilarity: 0.99, limit };
      expect(lsh.search(shared, query)).toEqual(exact.search(shared, query));
    }
  });

  test('clear drops everything and the index is reusable, LSH tables rebuilt', () => {
    const random = seeded(9);
    const index = new VectorIndex({ dimensions: 32, flatLimit: 30 });
    const before = Array.from({ length: 100 }, () => randomUnit(32, random));
    for (const [i, v] of before.entries()) index.add(`old${i}`, v);
    expect(index.isFlat).toBe(false);
    index.clear();
    expect(index.size).toBe(0);
    expect(index.isFlat).toBe(true);
    expect(index.has('old0')).toBe(false);
    expect(index.search(before[0]!, { minSimilarity: 0, limit: 10 })).toEqual([]);
    const after = Array.from({ length: 100 }, () => randomUnit(32, random));
    for (const [i, v] of after.entries()) index.add(`new${i}`, v);
    expect(index.isFlat).toBe(false);
    for (const v of before) {
      expect(index.search(v, { minSimilarity: 0.99, limit: 1 })).toEqual([]);
    }
    for (const [i, v] of after.entries()) {
      expect(index.search(v, { minSimilarity: 0.99, limit: 1 })[0]?.id).toBe(`new${i}`);
    }
  });

  test.each([
    { dimensions: 4, count: 5000 },
    { dimensions: 512, count: 1500 },
    { dimensions: 70_000, count: 12 },
  ])(
    'grows past its capacity keeping every vector intact ($dimensions dimensions)',
    ({ dimensions, count }) => {
      const random = seeded(dimensions);
      const index = new VectorIndex({ dimensions, flatLimit: 100_000, bands: 4, bitsPerBand: 4 });
      const vectors = Array.from({ length: count }, () => randomUnit(dimensions, random));
      for (const [i, v] of vectors.entries()) index.add(`v${i}`, v);
      const checked = Array.from({ length: 50 }, (_, k) => Math.floor((k * count) / 50));
      checked.push(count - 1);
      const exactMatches = (i: number) =>
        index.search(vectors[i]!, { minSimilarity: 0.999_999, limit: 1 }).map((m) => m.id);
      for (const i of checked) expect(exactMatches(i)[0]).toBe(`v${i}`);
      for (const i of checked.slice(0, 10)) index.remove(`v${i}`);
      for (const i of checked.slice(0, 10)) index.add(`v${i}`, vectors[i]!);
      for (const i of checked) expect(exactMatches(i)[0]).toBe(`v${i}`);
    },
  );

  test('many bits per band (sparse bucket heads) supports remove and re-add', () => {
    const random = seeded(10);
    const index = new VectorIndex({ dimensions: 32, flatLimit: 10, bands: 24, bitsPerBand: 20 });
    const vectors = Array.from({ length: 120 }, () => randomUnit(32, random));
    for (const [i, v] of vectors.entries()) index.add(`v${i}`, v);
    for (let i = 0; i < 120; i += 2) index.remove(`v${i}`);
    for (let i = 0; i < 120; i += 4) index.add(`v${i}`, vectors[i]!);
    for (const [i, v] of vectors.entries()) {
      const ids = index.search(v, { minSimilarity: 0.99, limit: 1 }).map((m) => m.id);
      expect(ids).toEqual(i % 2 === 1 || i % 4 === 0 ? [`v${i}`] : []);
    }
  });

  test('rejects vectors of the wrong length with a typed error', () => {
    const index = new VectorIndex({ dimensions: 8 });
    expect(() => index.add('x', new Float32Array(4))).toThrow(/length 8/);
    expect(() => new VectorIndex({ dimensions: 0 })).toThrow(/dimensions/);
  });
});
