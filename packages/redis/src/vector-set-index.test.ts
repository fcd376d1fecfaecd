import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CommandGate } from './command-gate.js';
import {
  findRedis8Server,
  type RedisServer,
  redis8SkipReason,
  startRedisServer,
} from './testing.js';
import { parseSimilar, VectorSetIndex } from './vector-set-index.js';
import { VectorSetSupport } from './vector-set-support.js';

const redis8 = findRedis8Server();

/** A unit vector at `degrees` from the x axis in the first two of `dimensions` dimensions. */
function at(degrees: number, dimensions = 8): Float32Array {
  const vector = new Float32Array(dimensions);
  vector[0] = Math.cos((degrees * Math.PI) / 180);
  vector[1] = Math.sin((degrees * Math.PI) / 180);
  return vector;
}

describe('parseSimilar', () => {
  test('reads RESP2 triples, RESP3 pairs and maps', () => {
    const attrs = '{"exp":5}';
    const expected = [{ id: 'a', score: 1, expiresAt: 5 }];
    expect(parseSimilar(['a', '1', attrs])).toEqual(expected);
    expect(parseSimilar(['a', ['1', attrs]])).toEqual(expected);
    expect(parseSimilar(new Map([['a', [1, attrs]]]))).toEqual(expected);
    expect(parseSimilar({ a: [1, attrs] })).toEqual(expected);
    expect(parseSimilar(['a', ['0.5', null]])).toEqual([
      { id: 'a', score: 0.5, expiresAt: Number.POSITIVE_INFINITY },
    ]);
    expect(parseSimilar([])).toEqual([]);
  });
});

describe.skipIf(!redis8)(`VectorSetIndex on Redis 8 (${redis8 ?? redis8SkipReason})`, () => {
  let server: RedisServer;
  let client: Redis;
  let now = Date.now();
  let gate: CommandGate;
  let index: VectorSetIndex;
  const errors: unknown[] = [];
  let serial = 0;
  const setKey = () => `vs:{t${++serial}}`;

  beforeAll(async () => {
    server = await startRedisServer({ useEnvUrl: false, binary: redis8 });
    client = server.client({ maxRetriesPerRequest: 1 });
    await client.ping();
    gate = new CommandGate(client, 1000);
    index = new VectorSetIndex({
      client,
      gate,
      now: () => now,
      onError: (_, error) => errors.push(error),
      sweepBatch: 4,
      sweepIntervalMs: 1000,
    });
  }, 20_000);

  afterAll(async () => {
    expect(errors).toEqual([]);
    await server.stop();
  });

  test('the probe says yes on Redis 8', async () => {
    const support = new VectorSetSupport(client, gate);
    expect(support.known).toBeUndefined();
    expect(await support.supported()).toBe(true);
    expect(support.known).toBe(true);
    support.invalidate();
    expect(support.known).toBeUndefined();
    support.close();
  });

  test('search returns cosine similarity, best first, within minSimilarity and limit', async () => {
    const key = setKey();
    now = Date.now();
    for (const [element, degrees] of [
      ['a', 0],
      ['b', 30],
      ['c', 60],
      ['d', 120],
    ] as const) {
      await index.add(key, element, at(degrees), now + 60_000);
    }
    const found = await index.search(key, at(0), { minSimilarity: 0.4, limit: 10 });
    expect(found.map((c) => c.id)).toEqual(['a', 'b', 'c']);
    // Q8 quantisation: close to the true cosines.
    expect(found[0]?.similarity).toBeCloseTo(1, 1);
    expect(found[1]?.similarity).toBeCloseTo(Math.cos(Math.PI / 6), 1);
    expect(found[2]?.similarity).toBeCloseTo(0.5, 1);
    expect(await index.search(key, at(0), { minSimilarity: 0.4, limit: 1 })).toHaveLength(1);
    expect(await index.search(key, at(180), { minSimilarity: 0.9, limit: 3 })).toEqual([]);
    // The set lives as long as its newest entry.
    const ttl = await client.pttl(key);
    expect(ttl).toBeGreaterThan(50_000);
    await index.add(key, 'e', at(10), now + 600_000);
    expect(await client.pttl(key)).toBeGreaterThan(500_000);
    await index.add(key, 'f', at(10), now + 1_000);
    expect(await client.pttl(key)).toBeGreaterThan(500_000);
  });

  test('expired vectors are never returned and are removed past the clock-skew allowance; a crowded reply is searched again with FILTER', async () => {
    const key = setKey();
    now = Date.now();
    for (let i = 0; i < 10; i++) await index.add(key, `old${i}`, at(i * 0.1), now + 1000);
    await index.add(key, 'live', at(5), now + 60_000);
    // Past expiry but within the clock-skew allowance: skipped, not removed.
    now += 2000;
    expect(
      (await index.search(key, at(0), { minSimilarity: 0.5, limit: 2 })).map((c) => c.id),
    ).toEqual(['live']);
    expect(Number(await client.call('VCARD', key))).toBe(11);
    now += 10_000;
    const found = await index.search(key, at(0), { minSimilarity: 0.5, limit: 2 });
    expect(found.map((c) => c.id)).toEqual(['live']);
    // The expired ones the first reply held are removed in the background.
    for (let i = 0; i < 200 && Number(await client.call('VCARD', key)) > 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(Number(await client.call('VCARD', key))).toBeLessThanOrEqual(5);
  });

  test('remove takes vectors out; sweep removes the vectors of entries that are gone, a batch at a time', async () => {
    const key = setKey();
    now = Date.now();
    for (let i = 0; i < 10; i++) await index.add(key, `k${i}`, at(i), now + 60_000);
    await index.remove(key, ['k0', 'missing']);
    expect(Number(await client.call('VCARD', key))).toBe(9);
    // Entries exist only for k1..k3.
    for (const i of [1, 2, 3]) await client.set(`entry:${`k${i}`}`, 'v');
    const entryKey = (element: string) => `entry:${element}`;
    expect(await index.sweep(key, entryKey)).toBe(1); // k1..k4: k4 gone
    expect(await index.sweep(key, entryKey)).toBe(0); // not due yet
    let removed = 1;
    for (let round = 0; round < 5; round++) {
      now += 1001;
      removed += await index.sweep(key, entryKey);
    }
    expect(removed).toBe(6);
    expect(Number(await client.call('VCARD', key))).toBe(3);
  });
});
