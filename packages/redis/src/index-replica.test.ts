import { lexicalVector } from '@semcache/core/internal';
import { describe, expect, test } from 'vitest';
import { encodeHeader, partitionDigest } from './entry-format.js';
import { IndexReplica } from './index-replica.js';
import { PackedPartition } from './packed-partition.js';
import { encodePartitionRecord } from './partition-list.js';

const v = (text: string) => lexicalVector(text, 128);
const query = { minSimilarity: 0.5, limit: 4 };

function replica(maxEntries = 1000) {
  let now = 10_000;
  const r = new IndexReplica({ mode: 'full', maxEntries, now: () => now });
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
    expect(r.stats()).toEqual({ entries: 3, partitions: 2, namespaces: 1, partitionsBuilding: 0 });
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

  test('on demand: nothing is held until a partition is loaded; changes during the load are applied after it', async () => {
    let now = 10_000;
    const r = new IndexReplica({ mode: 'on-demand', maxEntries: 1000, now: () => now });
    r.add('ns', 1, 'early', 'p', v('reset my password'), now + 60_000);
    expect(r.size).toBe(0);
    expect(r.isLoaded('ns', 1, 'p', true)).toBe(false);
    r.beginLoad('ns', 1, 'p');
    r.add('ns', 1, 'during', 'p', v('reset my password now'), now + 60_000);
    r.remove('ns', 'gone');
    r.finishLoad(
      'ns',
      1,
      'p',
      packedOf(
        [
          ['loaded', 'reset my password'],
          ['gone', 'reset my password today'],
        ],
        now,
      ),
    );
    expect(r.isLoaded('ns', 1, 'p', false)).toBe(true);
    const ids = r
      .search('ns', 1, 'p', v('reset my password'), { minSimilarity: 0.5, limit: 5 })
      .map((m) => m.id);
    expect(ids).toContain('loaded');
    expect(ids).toContain('during');
    expect(ids).not.toContain('gone');
    // Converting the loaded records into the index changes no result.
    while (!r.buildTables(1)) {
      // keep building
    }
    const after = r
      .search('ns', 1, 'p', v('reset my password'), { minSimilarity: 0.5, limit: 5 })
      .map((m) => m.id);
    expect(after.sort()).toEqual(ids.sort());
    expect(r.size).toBe(2);
    now += 120_000;
    expect(
      r.search('ns', 1, 'p', v('reset my password'), { minSimilarity: 0.5, limit: 5 }),
    ).toEqual([]);
  });

  test('on demand: past maxEntries the least recently searched partitions go whole', () => {
    const now = 10_000;
    const r = new IndexReplica({ mode: 'on-demand', maxEntries: 3, now: () => now });
    for (const partition of ['a', 'b']) {
      r.beginLoad('ns', 1, partition);
      r.finishLoad(
        'ns',
        1,
        partition,
        packedOf(
          [
            [`${partition}1`, `text ${partition} one`],
            [`${partition}2`, `text ${partition} two`],
          ],
          now,
        ),
      );
    }
    expect(r.isLoaded('ns', 1, 'a', false)).toBe(false);
    expect(r.isLoaded('ns', 1, 'b', false)).toBe(true);
    expect(r.size).toBe(2);
  });
});

function packedOf(records: [string, string][], now: number): PackedPartition {
  const partition = partitionDigest('p');
  const page = Buffer.concat(
    records.map(([key, text]) =>
      encodePartitionRecord(
        key,
        encodeHeader({ expiresAt: now + 60_000, index: { partition, vector: v(text) } }, 'int8'),
      ),
    ),
  );
  return PackedPartition.parse([page], now);
}
