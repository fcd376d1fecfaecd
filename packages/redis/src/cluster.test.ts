import { type CacheRequest, createSemanticCache, type SemcacheError } from '@semcache/core';
import { lexicalVector } from '@semcache/core/internal';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clearEntries, collectStats, connectRedis, inspectEntry } from './admin.js';
import { isCluster } from './redis-client.js';
import { RedisStore } from './redis-store.js';
import { type RedisClusterHandle, startRedisCluster } from './testing.js';

let cluster: RedisClusterHandle;
let clientA: Cluster;
let clientB: Cluster;
let storeA: RedisStore;
let storeB: RedisStore;
const backgroundErrors: SemcacheError[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster();
  const options = { enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 1 } };
  clientA = cluster.client(options);
  clientB = cluster.client(options);
  await Promise.all(
    [clientA, clientB].map((c) => new Promise((resolve) => c.once('ready', resolve))),
  );
  // Two stores on two cluster clients stand for two processes.
  storeA = new RedisStore({ client: clientA, onError: (e) => backgroundErrors.push(e) });
  storeB = new RedisStore({ client: clientB, onError: (e) => backgroundErrors.push(e) });
  await Promise.all([storeA.whenSynced(), storeB.whenSynced()]);
}, 40_000);

afterAll(async () => {
  await storeA?.close();
  await storeB?.close();
  await cluster?.stop();
});

function request(text: string): CacheRequest {
  return {
    model: { provider: 'test', id: 'model' },
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
  };
}

async function until(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('RedisStore on a Redis Cluster', () => {
  test('set, get and search across slots; entries spread over the masters', async () => {
    const texts = Array.from(
      { length: 30 },
      (_, i) => `cluster question number ${i} about topic ${i * 7}`,
    );
    for (const [i, text] of texts.entries()) {
      await storeA.set('default', {
        key: `key-${i}`,
        payload: text,
        ttlMs: 60_000,
        index: { partition: 'p', vector: lexicalVector(text, 256) },
      });
    }
    expect(await storeA.get('default', 'key-3')).toBe(texts[3]);
    const sizes = await Promise.all(clientA.nodes('master').map((node) => node.dbsize()));
    for (const size of sizes) expect(size).toBeGreaterThan(0);
    const query = {
      partition: 'p',
      vector: lexicalVector(texts[5] as string, 256),
      minSimilarity: 0.9,
      limit: 2,
    };
    expect((await storeA.search('default', query))[0]?.key).toBe('key-5');
    // The other store hears of the entries through the change stream.
    await until(async () => (await storeB.search('default', query))[0]?.key === 'key-5');
  });

  test("replica 'full': a store started later loads the index by scanning every master", async () => {
    const late = new RedisStore({ client: clientB, coordinator: false, replica: 'full' });
    try {
      await late.whenSynced();
      expect(late.indexStats().entries).toBeGreaterThanOrEqual(30);
    } finally {
      await late.close();
    }
  });

  test("replica 'on-demand': a store started later finds old entries on its first search, loading only that partition", async () => {
    const late = new RedisStore({ client: clientB, coordinator: false });
    try {
      expect(late.indexStats().entries).toBe(0);
      const query = {
        partition: 'p',
        vector: lexicalVector('cluster question number 5 about topic 35', 256),
        minSimilarity: 0.9,
        limit: 2,
      };
      expect((await late.search('default', query))[0]?.key).toBe('key-5');
      expect(late.indexStats()).toMatchObject({ partitionLoads: 1, partitions: 1 });
    } finally {
      await late.close();
    }
  });

  test('exact and semantic hits through the cache, and namespace clear', async () => {
    const cacheA = createSemanticCache({ store: storeA, storeTimeoutMs: 1000 });
    const cacheB = createSemanticCache({ store: storeB, storeTimeoutMs: 1000 });
    const req = { ...request('What does the cluster store?'), scope: { namespace: 'docs' } };
    await cacheA.getOrCompute(req, async () => ({ value: 'entries', finishReason: 'stop' }));
    expect((await cacheB.lookup(req)).kind).toBe('exact');
    const near = { ...request('what does the cluster store'), scope: { namespace: 'docs' } };
    await until(async () => (await cacheB.lookup(near)).kind === 'semantic');
    await cacheA.clear('docs');
    expect((await cacheA.lookup(req)).kind).toBe('miss');
    await until(async () => (await cacheB.lookup(req)).kind === 'miss');
  });

  test('single-flight across clients: one compute for concurrent identical calls', async () => {
    const caches = [storeA, storeB].map((store) =>
      createSemanticCache({ store, storeTimeoutMs: 1000 }),
    );
    let computes = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (caches[i % 2] as (typeof caches)[number]).getOrCompute(
          request('one answer for all'),
          async () => {
            computes++;
            await new Promise((resolve) => setTimeout(resolve, 200));
            return { value: 'shared', finishReason: 'stop' };
          },
        ),
      ),
    );
    expect(computes).toBe(1);
    expect(new Set(results.map((r) => r.value))).toEqual(new Set(['shared']));
  });

  test('admin: the CLI functions see every master', async () => {
    const admin = await connectRedis(`redis://${cluster.nodes[0]?.host}:${cluster.nodes[0]?.port}`);
    try {
      expect(isCluster(admin)).toBe(true);
      const stats = await collectStats(admin);
      expect(stats.nodes).toBe(3);
      const stored = stats.namespaces.find((s) => s.namespace === 'default');
      expect(stored?.entries).toBeGreaterThanOrEqual(30);
      for (let i = 0; i < 6; i++) {
        await storeA.set('admin', {
          key: `admin-${i}`,
          payload: 'x',
          ttlMs: 60_000,
          labels: { modelId: i % 2 === 0 ? 'even' : 'odd' },
        });
      }
      const result = await clearEntries(admin, { namespace: 'admin', modelId: 'even' });
      expect(result.deleted).toBe(3);
      expect(await storeB.get('admin', 'admin-0')).toBeUndefined();
      expect(await storeB.get('admin', 'admin-1')).toBe('x');
      const [found] = await inspectEntry(admin, 'admin-1');
      expect(found).toMatchObject({ namespace: 'admin', modelId: 'odd', current: true });
    } finally {
      admin.disconnect();
    }
  });

  test('background work reported no errors', () => {
    expect(backgroundErrors).toEqual([]);
  });
});
