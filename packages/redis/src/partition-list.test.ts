import { cosineSimilarity, lexicalVector } from '@semcache/core/internal';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CommandGate } from './command-gate.js';
import { encodeHeader, partitionDigest } from './entry-format.js';
import {
  appendPartitionRecord,
  encodePartitionRecord,
  partitionPageBytes,
  readPartition,
} from './partition-list.js';
import { type RedisServer, startRedisServer } from './testing.js';

let server: RedisServer;
let client: Redis;
let gate: CommandGate;
let run = 0;

beforeAll(async () => {
  server = await startRedisServer();
  client = server.client({ maxRetriesPerRequest: 1 });
  await client.ping();
  gate = new CommandGate(client, 10_000);
}, 20_000);
afterAll(async () => server.stop());

const partition = partitionDigest('p');
const vectorOf = (text: string) => lexicalVector(text, 256);
const now = () => Date.now();

async function append(key: string, entry: string, text: string, ttlMs = 60_000, max = 100_000) {
  const header = encodeHeader(
    { expiresAt: now() + ttlMs, index: { partition, vector: vectorOf(text) } },
    'int8',
  );
  await appendPartitionRecord(client, gate, key, encodePartitionRecord(entry, header), max, ttlMs);
}

describe('partition pages', () => {
  test('records come back in order, searchable as stored, with their keys', async () => {
    const key = `pl${++run}:p:{${partition}}`;
    const texts = ['reset my password', 'delete my account', 'change my email address'];
    for (const [i, text] of texts.entries()) await append(key, `k${i}`, text);
    const packed = await readPartition(client, gate, key, now());
    expect(packed.count).toBe(3);
    expect([0, 1, 2].map((i) => packed.keyOf(i))).toEqual(['k0', 'k1', 'k2']);
    const query = vectorOf('reset my password please');
    const [best] = packed.scan(query, 0, { minSimilarity: 0.3, limit: 2 }, now());
    expect(best?.record).toBe(0);
    // The packed scan agrees with the cosine of the decoded vector (int8 quantisation aside).
    expect(best?.similarity).toBeCloseTo(cosineSimilarity(query, packed.vectorOf(0)), 3);
    expect(best?.similarity).toBeCloseTo(cosineSimilarity(query, vectorOf('reset my password')), 2);
    expect(packed.scan(query, 1, { minSimilarity: 0.9, limit: 2 }, now())).toEqual([]);
  });

  test('pages roll over, the oldest beyond the newest maxRecords are deleted, and TTLs follow the entries', async () => {
    const key = `pl${++run}:p:{${partition}}`;
    const text = 'a question long enough to fill pages quickly';
    const recordBytes = encodePartitionRecord(
      'k',
      encodeHeader({ expiresAt: 1, index: { partition, vector: vectorOf(text) } }, 'int8'),
    ).length;
    const perPage = Math.ceil(partitionPageBytes / recordBytes);
    const total = perPage * 3 + 5;
    for (let i = 0; i < total; i++) await append(key, `k${i}`, text, 60_000, perPage);
    const packed = await readPartition(client, gate, key, now());
    // Keeps at least the newest maxRecords (here one page's worth), never everything.
    expect(packed.count).toBeGreaterThanOrEqual(perPage);
    expect(packed.count).toBeLessThan(total);
    expect(packed.keyOf(packed.count - 1)).toBe(`k${total - 1}`);
    expect(await client.pttl(key)).toBeGreaterThan(50_000);
    expect(await client.pttl(`${key}:3`)).toBeGreaterThan(50_000);
    expect(await client.exists(`${key}:0`)).toBe(0);
  });

  test('expired records are skipped; a missing partition is empty', async () => {
    const key = `pl${++run}:p:{${partition}}`;
    await append(key, 'old', 'expires soon', 1);
    await append(key, 'new', 'lives long');
    const packed = await readPartition(client, gate, key, now() + 10);
    expect(packed.count).toBe(1);
    expect(packed.keyOf(0)).toBe('new');
    expect((await readPartition(client, gate, `pl${++run}:p:{none}`, now())).count).toBe(0);
  });
});
