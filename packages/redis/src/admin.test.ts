import { type CacheRequest, createSemanticCache, type SemanticCache } from '@semcache/core';
import { isSemcacheError } from '@semcache/core/internal';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { clearEntries, collectStats, connectRedis, inspectEntry, redactUrl } from './admin.js';
import { RedisStore } from './redis-store.js';
import { type RedisServer, startRedisServer } from './testing.js';

let server: RedisServer;
let client: Redis;
let prefix: string;
let run = 0;
let writer: RedisStore;
let reader: RedisStore;
let cache: SemanticCache;
let readerCache: SemanticCache;

beforeAll(async () => {
  server = await startRedisServer();
  client = server.client({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  await new Promise((resolve) => client.once('ready', resolve));
}, 20_000);

afterAll(async () => {
  await writer?.close();
  await reader?.close();
  await server.stop();
});

function request(
  text: string,
  options: { model?: string; tenant?: string; namespace?: string } = {},
): CacheRequest {
  return {
    model: { provider: 'test', id: options.model ?? 'm1' },
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    scope: {
      ...(options.tenant ? { tenant: options.tenant } : {}),
      ...(options.namespace ? { namespace: options.namespace } : {}),
    },
  };
}

const fixtures = [
  { text: 'alpha question', model: 'm1', tenant: 't1', namespace: 'a' },
  { text: 'beta question', model: 'm2', tenant: 't1', namespace: 'a' },
  { text: 'gamma question', model: 'm1', tenant: 't2', namespace: 'b' },
  { text: 'delta question', model: 'm2', tenant: 't2', namespace: 'b' },
];

beforeEach(async () => {
  await writer?.close();
  await reader?.close();
  prefix = `admin${++run}:`;
  writer = new RedisStore({ client, prefix, recordStats: true });
  // A replica of everything, so the test can watch deleted entries leave it.
  reader = new RedisStore({ client, prefix, replica: 'full' });
  await Promise.all([writer.whenSynced(), reader.whenSynced()]);
  cache = createSemanticCache({ store: writer, storeTimeoutMs: 1000 });
  readerCache = createSemanticCache({ store: reader, storeTimeoutMs: 1000 });
  for (const fixture of fixtures) {
    await cache.getOrCompute(request(fixture.text, fixture), async () => ({
      value: fixture.text.toUpperCase(),
      finishReason: 'stop',
    }));
  }
});

async function until(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('collectStats', () => {
  test('counts entries, indexed entries, bytes and recorded counters per namespace', async () => {
    await cache.lookup(request('alpha question', fixtures[0]));
    // Counters are written without waiting for them.
    await until(
      async () => ((await collectStats(client, { prefix })).namespaces[0]?.counters.hits ?? 0) >= 1,
    );
    const stats = await collectStats(client, { prefix });
    expect(stats.entries).toBe(4);
    expect(stats.staleEntries).toBe(0);
    expect(stats.nodes).toBe(1);
    expect(stats.usedMemory).toBeGreaterThan(0);
    expect(stats.namespaces.map((s) => [s.namespace, s.entries, s.indexed])).toEqual([
      ['a', 2, 2],
      ['b', 2, 2],
    ]);
    expect(stats.bytes).toBeGreaterThan(0);
    expect(stats.namespaces[0]?.counters.hits).toBeGreaterThanOrEqual(1);
  });
});

describe('clearEntries', () => {
  test('a namespace: every process stops serving it at once, then its keys are freed', async () => {
    const progress: number[] = [];
    const result = await clearEntries(
      client,
      { namespace: 'a' },
      { prefix, onProgress: (p) => progress.push(p.deleted) },
    );
    expect(result.deleted).toBe(2);
    expect(progress.at(-1)).toBe(2);
    await until(
      async () =>
        (await readerCache.lookup(request('alpha question', fixtures[0]))).kind === 'miss',
    );
    expect((await cache.lookup(request('alpha question', fixtures[0]))).kind).toBe('miss');
    expect((await cache.lookup(request('gamma question', fixtures[2]))).kind).toBe('exact');
    const stats = await collectStats(client, { prefix });
    expect(stats.namespaces.find((s) => s.namespace === 'a')).toMatchObject({
      entries: 0,
      staleEntries: 0,
    });
  });

  test('by model: only that model’s entries go, and no process finds them semantically', async () => {
    const result = await clearEntries(client, { modelId: 'm1' }, { prefix });
    expect(result).toMatchObject({ scanned: 4, matched: 2, deleted: 2 });
    expect((await cache.lookup(request('alpha question', fixtures[0]))).kind).toBe('miss');
    expect((await cache.lookup(request('beta question', fixtures[1]))).kind).toBe('exact');
    await until(async () => reader.indexStats().entries === 2);
  });

  test('by tenant within a namespace', async () => {
    const result = await clearEntries(client, { tenant: 't2', namespace: 'b' }, { prefix });
    expect(result.deleted).toBe(2);
    expect((await cache.lookup(request('delta question', fixtures[3]))).kind).toBe('miss');
    expect((await cache.lookup(request('alpha question', fixtures[0]))).kind).toBe('exact');
  });

  test('an empty filter is refused', async () => {
    await expect(clearEntries(client, {}, { prefix })).rejects.toThrow(
      /namespace, a model or a tenant/,
    );
  });
});

describe('inspectEntry', () => {
  test('finds an entry by its exact key and decodes it', async () => {
    const key = cache.keys(request('beta question', fixtures[1])).exactKey;
    const [found, ...more] = await inspectEntry(client, key, { prefix });
    expect(more).toEqual([]);
    expect(found).toMatchObject({
      namespace: 'a',
      current: true,
      format: 'semcache',
      modelId: 'm2',
      tenant: 't1',
      entry: { key, value: 'BETA QUESTION', modelId: 'm2' },
    });
    expect(found?.index?.dimensions).toBe(512);
    expect(found?.ttlMs).toBeGreaterThan(0);
    expect(await inspectEntry(client, found?.redisKey as string, { prefix })).toHaveLength(1);
    expect(await inspectEntry(client, 'no-such-key', { prefix })).toEqual([]);
  });
});

describe('connectRedis', () => {
  test('an unreachable Redis is a STORE_UNAVAILABLE error naming the URL, without password', async () => {
    const error = await connectRedis('redis://user:hunter2@127.0.0.1:1').catch((e: unknown) => e);
    expect(isSemcacheError(error, 'STORE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('redis://user:***@127.0.0.1:1');
    expect((error as Error).message).not.toContain('hunter2');
  });

  test('connects to a reachable standalone server', async () => {
    const admin = await connectRedis(server.url);
    try {
      expect(await admin.ping()).toBe('PONG');
    } finally {
      admin.disconnect();
    }
  });

  test('redactUrl hides passwords only', () => {
    expect(redactUrl('redis://:pw@host:6380/2')).toBe('redis://:***@host:6380/2');
    expect(redactUrl('redis://host:6379')).toBe('redis://host:6379');
  });
});
