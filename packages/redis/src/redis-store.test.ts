import { createSemanticCache, type SemcacheError } from '@semcache/core';
import { isSemcacheError, lexicalVector } from '@semcache/core/internal';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';
import { type RedisServer, startRedisServer } from './testing.js';

let server: RedisServer;
let client: Redis;
const stores: RedisStore[] = [];
let prefixCounter = 0;

beforeAll(async () => {
  server = await startRedisServer();
  client = server.client({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  await waitFor(() => client.status === 'ready');
}, 20_000);

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

afterAll(async () => {
  await server.stop();
});

/** A store on its own prefix, so tests never see each other's keys (also on a shared REDIS_URL). */
async function newStore(options: Partial<RedisStoreOptions> = {}): Promise<RedisStore> {
  const store = new RedisStore({
    client,
    prefix: `t${process.pid}-${++prefixCounter}:`,
    ...options,
  });
  stores.push(store);
  await store.whenSynced();
  return store;
}

function vectorOf(text: string): Float32Array {
  return lexicalVector(text, 256);
}

describe('RedisStore as a CacheStore', () => {
  test('get returns what set stored; delete removes it; other keys and namespaces are apart', async () => {
    const store = await newStore();
    expect(await store.get('default', 'k1')).toBeUndefined();
    await store.set('default', { key: 'k1', payload: '{"a":1}', ttlMs: 60_000 });
    expect(await store.get('default', 'k1')).toBe('{"a":1}');
    expect(await store.get('default', 'k2')).toBeUndefined();
    expect(await store.get('other', 'k1')).toBeUndefined();
    await store.delete('default', 'k1');
    expect(await store.get('default', 'k1')).toBeUndefined();
  });

  test('an entry is gone after its TTL', async () => {
    const store = await newStore();
    await store.set('default', {
      key: 'short',
      payload: 'x',
      // Long enough that a busy machine still reads it first; PX is checked on the key itself.
      ttlMs: 2_000,
      index: { partition: 'p', vector: vectorOf('short lived') },
    });
    expect(await store.get('default', 'short')).toBe('x');
    const [entryKey] = await client.keys('*:e:{short}');
    const remainingMs = await client.pttl(entryKey as string);
    expect(remainingMs).toBeGreaterThan(0);
    expect(remainingMs).toBeLessThanOrEqual(2_000);
    await waitFor(async () => (await store.get('default', 'short')) === undefined);
    const found = await store.search('default', {
      partition: 'p',
      vector: vectorOf('short lived'),
      minSimilarity: 0.5,
      limit: 4,
    });
    expect(found).toEqual([]);
  });

  test('clear drops every entry of the namespace in O(1) and leaves other namespaces', async () => {
    const store = await newStore();
    for (const namespace of ['a', 'b']) {
      await store.set(namespace, {
        key: 'k',
        payload: namespace,
        ttlMs: 60_000,
        index: { partition: 'p', vector: vectorOf('hello world') },
      });
    }
    await store.clear('a');
    expect(await store.get('a', 'k')).toBeUndefined();
    expect(await store.get('b', 'k')).toBe('b');
    const query = { partition: 'p', vector: vectorOf('hello world'), minSimilarity: 0.5, limit: 4 };
    expect(await store.search('a', query)).toEqual([]);
    expect((await store.search('b', query)).map((m) => m.payload)).toEqual(['b']);
    await store.set('a', { key: 'k', payload: 'again', ttlMs: 60_000 });
    expect(await store.get('a', 'k')).toBe('again');
  });

  test('search finds near vectors in the partition, best first, and nothing elsewhere', async () => {
    const store = await newStore();
    const texts = [
      'how do I reset my password',
      'how can I reset my password please',
      'what is the weather in Paris today',
    ];
    for (const [i, text] of texts.entries()) {
      await store.set('default', {
        key: `k${i}`,
        payload: text,
        ttlMs: 60_000,
        index: { partition: 'support', vector: vectorOf(text) },
      });
    }
    const matches = await store.search('default', {
      partition: 'support',
      vector: vectorOf('how do I reset my password?'),
      minSimilarity: 0.5,
      limit: 4,
    });
    expect(matches.map((m) => m.key)).toEqual(['k0', 'k1']);
    expect(matches[0]?.similarity).toBeGreaterThan(0.95);
    expect(matches[0]?.payload).toBe(texts[0]);
    const elsewhere = await store.search('default', {
      partition: 'sales',
      vector: vectorOf('how do I reset my password?'),
      minSimilarity: 0.5,
      limit: 4,
    });
    expect(elsewhere).toEqual([]);
  });

  test('search never returns a deleted entry, nor one removed behind its back', async () => {
    const store = await newStore();
    const index = { partition: 'p', vector: vectorOf('the quick brown fox') };
    await store.set('default', { key: 'a', payload: 'A', ttlMs: 60_000, index });
    await store.set('default', { key: 'b', payload: 'B', ttlMs: 60_000, index });
    await store.delete('default', 'a');
    const query = { ...index, minSimilarity: 0.5, limit: 4 };
    expect((await store.search('default', query)).map((m) => m.key)).toEqual(['b']);
    // Removed directly in Redis (as eviction would): the replica drops it at the first fetch.
    const keys = await scanAll(client, '*:e:{b}');
    await client.del(...keys);
    expect(await store.search('default', query)).toEqual([]);
    expect(store.indexStats().entries).toBe(0);
  });

  test('large payloads round-trip through compression and take less room', async () => {
    const store = await newStore();
    const payload = JSON.stringify({ text: 'lorem ipsum dolor sit amet '.repeat(400) });
    await store.set('default', { key: 'big', payload, ttlMs: 60_000 });
    expect(await store.get('default', 'big')).toBe(payload);
    const [redisKey] = await scanAll(client, '*:e:{big}');
    expect(await client.strlen(redisKey as string)).toBeLessThan(payload.length / 4);
  });

  test('unicode payloads and namespaces round-trip', async () => {
    const store = await newStore();
    const payload = '{"d":"你好，世界 🌍"}';
    await store.set('客户:a*b{c}', { key: 'k', payload, ttlMs: 60_000 });
    expect(await store.get('客户:a*b{c}', 'k')).toBe(payload);
    expect(await store.get('客户', 'k')).toBeUndefined();
  });
});

describe('RedisStore under createSemanticCache', () => {
  const request = (text: string, tenant?: string) => ({
    model: { provider: 'test', id: 'model-1' },
    messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }],
    ...(tenant ? { scope: { tenant } } : {}),
  });

  test('exact and semantic hits', async () => {
    const store = await newStore();
    const cache = createSemanticCache({ store });
    const first = await cache.getOrCompute(request('What is the capital of France?'), async () => ({
      value: 'Paris',
      finishReason: 'stop',
    }));
    expect(first.kind).toBe('miss');
    const exact = await cache.lookup(request('What is the capital of France?'));
    expect(exact).toMatchObject({ kind: 'exact', value: 'Paris' });
    const semantic = await cache.lookup(request('what is the capital of france'));
    expect(semantic).toMatchObject({ kind: 'semantic', value: 'Paris' });
  });

  test('tenants never see each other’s entries', async () => {
    const store = await newStore();
    const cache = createSemanticCache({ store });
    await cache.getOrCompute(request('Summarize my last invoice', 'acme'), async () => ({
      value: 'acme invoice',
      finishReason: 'stop',
    }));
    expect((await cache.lookup(request('Summarize my last invoice', 'acme'))).kind).toBe('exact');
    expect((await cache.lookup(request('Summarize my last invoice', 'globex'))).kind).toBe('miss');
    expect((await cache.lookup(request('summarize my last invoice!', 'globex'))).kind).toBe('miss');
    expect((await cache.lookup(request('summarize my last invoice!', 'acme'))).kind).toBe(
      'semantic',
    );
  });

  test('a corrupt entry planted under a real key is a miss, is deleted and is counted', async () => {
    const prefix = `corrupt${process.pid}:`;
    const store = await newStore({ prefix });
    const cache = createSemanticCache({ store });
    const req = request('Plant something broken here');
    await cache.getOrCompute(req, async () => ({ value: 'fine', finishReason: 'stop' }));
    const [redisKey] = await scanAll(client, `${prefix}*:e:*`);
    expect(redisKey).toBeDefined();
    await client.set(redisKey as string, Buffer.from([0xf5, 0x01, 0x01, 1, 2, 3]));
    const result = await cache.lookup(req);
    expect(result.kind).toBe('miss');
    expect(cache.stats().corruptEntries).toBeGreaterThanOrEqual(1);
    expect(await client.exists(redisKey as string)).toBe(0);

    await client.set(redisKey as string, 'not json at all');
    expect((await cache.lookup(req, { semantic: false })).kind).toBe('miss');
    expect(await client.exists(redisKey as string)).toBe(0);
  });

  test('namespace clear through the cache', async () => {
    const store = await newStore();
    const cache = createSemanticCache({ store });
    const req = { ...request('Clear me'), scope: { namespace: 'docs' } };
    await cache.getOrCompute(req, async () => ({ value: 'v', finishReason: 'stop' }));
    expect((await cache.lookup(req)).kind).toBe('exact');
    await cache.clear('docs');
    expect((await cache.lookup(req)).kind).toBe('miss');
  });
});

describe('RedisStore index sync', () => {
  test('a reconnect to the same server goes on from the change stream without a full reload', async () => {
    const prefix = `reconnect${process.pid}:`;
    const store = await newStore({ prefix });
    const other = server.client({ enableOfflineQueue: false });
    await waitFor(() => other.status === 'ready');
    const writer = new RedisStore({ client: other, prefix, coordinator: false });
    stores.push(writer);
    expect(store.indexStats().syncs).toBe(1);
    const reconnected = new Promise((resolve) => client.once('ready', resolve));
    client.disconnect(true);
    await reconnected;
    // The store's reconnect check runs on this connection: two round trips later it is done.
    await client.ping();
    await client.ping();
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.indexStats()).toMatchObject({ syncs: 1, syncing: false });
    const index = { partition: 'p', vector: vectorOf('after the reconnect') };
    await writer.set('default', { key: 'k', payload: 'v', ttlMs: 60_000, index });
    await waitFor(
      async () =>
        (await store.search('default', { ...index, minSimilarity: 0.9, limit: 1 })).length === 1,
    );
  });
});

describe('RedisStore failing fast', () => {
  test('rejects at once with STORE_UNAVAILABLE when the client is not ready', async () => {
    const offline = server.client({ lazyConnect: true, enableOfflineQueue: false });
    const errors: SemcacheError[] = [];
    const store = new RedisStore({
      client: offline,
      coordinator: false,
      onError: (e) => errors.push(e),
    });
    stores.push(store);
    offline.disconnect();
    const error = await store.get('default', 'k').catch((e: unknown) => e);
    expect(isSemcacheError(error, 'STORE_UNAVAILABLE')).toBe(true);
  });

  test('rejects a client with an ioredis keyPrefix, naming the fix', () => {
    const prefixed = server.client({ lazyConnect: true, keyPrefix: 'app:' });
    expect(() => new RedisStore({ client: prefixed })).toThrow(/prefix: "app:"/);
  });
});

async function scanAll(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
