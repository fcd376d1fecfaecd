import { lexicalVector } from '@semcache/core/internal';
import { describe, expect, test } from 'vitest';
import { IndexReplica } from './index-replica.js';

const v = (text: string) => lexicalVector(text, 128);
const query = { minSimilarity: 0.5, limit: 4 };

function replica(maxEntries = 1000) {
  let now = 10_000;
  const r = new IndexReplica({ maxEntries, now: () => now });
  return { r, advance: (ms: number) => (now += ms), now: () => now };
}

describe('IndexReplica', () => {
  test('finds entries of the generation held, best first, per partition', () => {
    const { r, now } = replica();
    r.add('ns', 1, 'a', 'p', v('reset my password'), now() + 60_000);
    r.add('ns', 1, 'b', 'p', v('reset my password please'), now() + 60_000);
    r.add('ns', 1, 'c', 'q', v('reset my password'), now() + 60_000);
    expect(r.search('ns', 1, 'p', v('reset my password'), query).map((m) => m.id)).toEqual([
      'a',
      'b',
    ]);
    expect(r.search('ns', 2, 'p', v('reset my password'), query)).toEqual([]);
    expect(r.search('other', 1, 'p', v('reset my password'), query)).toEqual([]);
    expect(r.stats()).toEqual({ entries: 3, partitions: 2, namespaces: 1 });
  });

  test('never returns an expired entry, and the sweep drops it', () => {
    const { r, advance, now } = replica();
    r.add('ns', 1, 'a', 'p', v('hello there'), now() + 1500);
    r.add('ns', 1, 'b', 'p', v('hello there'), now() + 60_000);
    advance(1600);
    expect(r.search('ns', 1, 'p', v('hello there'), query).map((m) => m.id)).toEqual(['b']);
    r.sweep();
    expect(r.size).toBe(1);
    advance(60_000);
    r.sweep();
    expect(r.size).toBe(0);
    expect(r.stats().partitions).toBe(0);
  });

  test('a newer generation drops the namespace; an older one is ignored', () => {
    const { r, now } = replica();
    r.add('ns', 5, 'a', 'p', v('one'), now() + 60_000);
    r.add('ns', 4, 'old', 'p', v('one'), now() + 60_000);
    expect(r.size).toBe(1);
    expect(r.useGeneration('ns', 6)).toBe(true);
    expect(r.size).toBe(0);
    expect(r.useGeneration('ns', 5)).toBe(false);
    expect(r.generation('ns')).toBe(6);
  });

  test('remove, replace and re-adding the same entry keep one copy', () => {
    const { r, now } = replica();
    r.add('ns', 1, 'a', 'p', v('first text'), now() + 60_000);
    r.add('ns', 1, 'a', 'p', v('first text'), now() + 60_000);
    r.add('ns', 1, 'a', 'p', v('second text'), now() + 70_000);
    expect(r.size).toBe(1);
    expect(r.search('ns', 1, 'p', v('second text'), query).map((m) => m.id)).toEqual(['a']);
    r.remove('ns', 'a', 2);
    expect(r.size).toBe(1);
    r.remove('ns', 'a');
    expect(r.size).toBe(0);
  });

  test('stays within maxEntries by dropping the oldest-added', () => {
    const { r, now } = replica(3);
    for (const key of ['a', 'b', 'c', 'd'])
      r.add('ns', 1, key, 'p', v(`text ${key}`), now() + 60_000);
    expect(r.size).toBe(3);
    expect(r.search('ns', 1, 'p', v('text a'), { minSimilarity: 0.99, limit: 4 })).toEqual([]);
    expect(
      r.search('ns', 1, 'p', v('text d'), { minSimilarity: 0.99, limit: 4 }).map((m) => m.id),
    ).toEqual(['d']);
  });

  test('vectors of another length never meet', () => {
    const { r, now } = replica();
    r.add('ns', 1, 'a', 'p', v('text'), now() + 60_000);
    expect(r.search('ns', 1, 'p', lexicalVector('text', 64), query)).toEqual([]);
  });
});
