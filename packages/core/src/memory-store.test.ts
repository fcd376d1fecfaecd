import { afterEach, describe, expect, test, vi } from 'vitest';
import { MemoryStore } from './memory-store.js';

const vector = (...values: number[]) => {
  const v = new Float32Array(4);
  values.forEach((x, i) => {
    v[i] = x;
  });
  return v;
};

describe('MemoryStore', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test('evicts the least recently used entry when maxEntries is reached', async () => {
    const store = new MemoryStore({ maxEntries: 2 });
    await store.set('ns', { key: 'a', payload: 'A', ttlMs: 60_000 });
    await store.set('ns', { key: 'b', payload: 'B', ttlMs: 60_000 });
    expect(await store.get('ns', 'a')).toBe('A'); // a is now the most recently used
    await store.set('ns', { key: 'c', payload: 'C', ttlMs: 60_000 });
    expect(await store.get('ns', 'b')).toBeUndefined();
    expect(await store.get('ns', 'a')).toBe('A');
    expect(await store.get('ns', 'c')).toBe('C');
    expect(store.size).toBe(2);
  });

  test('evicts by bytes, and refuses an entry larger than maxBytes on its own', async () => {
    const store = new MemoryStore({ maxBytes: 5000 });
    await store.set('ns', { key: 'a', payload: 'x'.repeat(1000), ttlMs: 60_000 });
    await store.set('ns', { key: 'b', payload: 'y'.repeat(1000), ttlMs: 60_000 });
    expect(store.bytes).toBeLessThanOrEqual(5000);
    await store.set('ns', { key: 'c', payload: 'z'.repeat(1000), ttlMs: 60_000 });
    expect(await store.get('ns', 'a')).toBeUndefined();
    expect(await store.get('ns', 'c')).toBeDefined();
    expect(store.bytes).toBeLessThanOrEqual(5000);
    await store.set('ns', { key: 'huge', payload: 'h'.repeat(10_000), ttlMs: 60_000 });
    expect(await store.get('ns', 'huge')).toBeUndefined();
    expect(await store.get('ns', 'c')).toBeDefined();
  });

  test('expires entries after their TTL, lazily and by the periodic sweep', async () => {
    vi.useFakeTimers();
    const store = new MemoryStore({ sweepIntervalMs: 1000 });
    await store.set('ns', {
      key: 'a',
      payload: 'A',
      ttlMs: 500,
      index: { partition: 'p', vector: vector(1) },
    });
    await store.set('ns', { key: 'b', payload: 'B', ttlMs: 5000 });
    vi.advanceTimersByTime(499);
    expect(await store.get('ns', 'a')).toBe('A');
    vi.advanceTimersByTime(1);
    expect(await store.get('ns', 'a')).toBeUndefined();
    expect(
      await store.search('ns', { partition: 'p', vector: vector(1), minSimilarity: 0.5, limit: 1 }),
    ).toEqual([]);
    expect(store.size).toBe(1);
    vi.advanceTimersByTime(5000);
    expect(store.size).toBe(0);
    await store.close();
  });

  test('searches only inside one partition and namespace', async () => {
    const store = new MemoryStore();
    await store.set('ns', {
      key: 'a',
      payload: 'A',
      ttlMs: 60_000,
      index: { partition: 'p1', vector: vector(1) },
    });
    await store.set('ns', {
      key: 'b',
      payload: 'B',
      ttlMs: 60_000,
      index: { partition: 'p2', vector: vector(1) },
    });
    await store.set('other', {
      key: 'c',
      payload: 'C',
      ttlMs: 60_000,
      index: { partition: 'p1', vector: vector(1) },
    });
    const found = await store.search('ns', {
      partition: 'p1',
      vector: vector(1),
      minSimilarity: 0.9,
      limit: 5,
    });
    expect(found).toEqual([{ key: 'a', payload: 'A', similarity: 1 }]);
  });

  test('evicted and deleted entries leave the index', async () => {
    const store = new MemoryStore({ maxEntries: 1 });
    await store.set('ns', {
      key: 'a',
      payload: 'A',
      ttlMs: 60_000,
      index: { partition: 'p', vector: vector(1) },
    });
    await store.set('ns', {
      key: 'b',
      payload: 'B',
      ttlMs: 60_000,
      index: { partition: 'p', vector: vector(0, 1) },
    });
    expect(
      await store.search('ns', { partition: 'p', vector: vector(1), minSimilarity: 0.5, limit: 5 }),
    ).toEqual([]);
    await store.delete('ns', 'b');
    expect(
      await store.search('ns', {
        partition: 'p',
        vector: vector(0, 1),
        minSimilarity: 0.5,
        limit: 5,
      }),
    ).toEqual([]);
  });

  test('clear drops one namespace only', async () => {
    const store = new MemoryStore();
    await store.set('a', { key: 'k', payload: 'A', ttlMs: 60_000 });
    await store.set('b', { key: 'k', payload: 'B', ttlMs: 60_000 });
    await store.clear('a');
    expect(await store.get('a', 'k')).toBeUndefined();
    expect(await store.get('b', 'k')).toBe('B');
  });

  test('rejects nonsense limits with a typed error', () => {
    expect(() => new MemoryStore({ maxEntries: 0 })).toThrow(/maxEntries/);
    expect(() => new MemoryStore({ maxBytes: -1 })).toThrow(/maxBytes/);
  });
});
