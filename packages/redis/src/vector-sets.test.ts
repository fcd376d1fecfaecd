import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type CacheRequest, createSemanticCache, type SemcacheError } from '@semcache/core';
import { lexicalVector } from '@semcache/core/internal';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { clearEntries, collectStats } from './admin.js';
import { runCli } from './cli-run.js';
import { keyLayout } from './key-layout.js';
import { isCluster, masters, type RedisClient } from './redis-client.js';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';
import {
  findRedis8Server,
  type RedisClusterHandle,
  type RedisServer,
  redis8SkipReason,
  startNodeWorker,
  startRedisCluster,
  startRedisServer,
} from './testing.js';

/**
 * RedisStore on Redis 8 vector sets (issue 14), on a standalone server and on a 3-master
 * Cluster built from the same source: the default `semanticIndex: 'auto'` uses them there.
 */
const redis8 = findRedis8Server();
const worker = fileURLToPath(new URL('../test-fixtures/cache-worker.ts', import.meta.url));

interface Deployment {
  client: RedisClient;
  /** A second client: another process. */
  other: RedisClient;
  /** What a worker process needs to connect. */
  target: { url?: string; cluster?: { host: string; port: number }[] };
  stop(): Promise<void>;
}

async function standalone(): Promise<Deployment> {
  const server: RedisServer = await startRedisServer({ useEnvUrl: false, binary: redis8 });
  const options = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };
  const client = server.client(options);
  const other = server.client(options);
  await Promise.all([client, other].map((c) => new Promise((resolve) => c.once('ready', resolve))));
  return { client, other, target: { url: server.url }, stop: () => server.stop() };
}

async function cluster(): Promise<Deployment> {
  const handle: RedisClusterHandle = await startRedisCluster({ binary: redis8 });
  const options = { enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 1 } };
  const client: Cluster = handle.client(options);
  const other: Cluster = handle.client(options);
  await Promise.all([client, other].map((c) => new Promise((resolve) => c.once('ready', resolve))));
  return { client, other, target: { cluster: [...handle.nodes] }, stop: () => handle.stop() };
}

function request(text: string, namespace?: string): CacheRequest {
  return {
    model: { provider: 'test', id: 'worker-model' },
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    ...(namespace ? { scope: { namespace } } : {}),
  };
}

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every key of `pattern` on every master. */
async function keysOf(client: RedisClient, pattern: string): Promise<string[]> {
  const all = await Promise.all(masters(client).map((node) => node.keys(pattern)));
  return all.flat();
}

/** Elements in every vector set under `prefix`. */
async function vectorsOf(client: RedisClient, prefix: string): Promise<number> {
  let total = 0;
  for (const key of await keysOf(client, keyLayout(prefix).allVectorSets)) {
    total += Number(await client.call('VCARD', key));
  }
  return total;
}

describe.skipIf(!redis8)(
  `RedisStore on Redis 8 vector sets (${redis8 ?? redis8SkipReason})`,
  () => {
    describe.each([
      ['standalone', standalone],
      ['Cluster of 3 masters', cluster],
    ] as const)('%s', (_, deploy) => {
      let deployment: Deployment;
      const stores: RedisStore[] = [];
      const children = new Set<ChildProcess>();
      const backgroundErrors: SemcacheError[] = [];
      let counter = 0;

      beforeAll(async () => {
        deployment = await deploy();
      }, 40_000);

      afterEach(async () => {
        for (const child of children) child.kill('SIGKILL');
        children.clear();
        await Promise.all(stores.splice(0).map((store) => store.close()));
        expect(backgroundErrors).toEqual([]);
      });

      afterAll(async () => {
        await deployment?.stop();
      });

      function newStore(
        prefix: string,
        options: Partial<RedisStoreOptions> = {},
        client: RedisClient = deployment.client,
      ): RedisStore {
        const store = new RedisStore({
          client,
          prefix,
          onError: (error) => backgroundErrors.push(error),
          ...options,
        });
        stores.push(store);
        return store;
      }

      function cacheOf(store: RedisStore) {
        return createSemanticCache({ store, storeTimeoutMs: 5_000 });
      }

      const nextPrefix = () => `vs${process.pid}-${++counter}:`;

      test("'auto' uses vector sets: a hit in another process at once, no replica, no partition list, no change records", async () => {
        const prefix = nextPrefix();
        const a = newStore(prefix);
        const b = newStore(prefix, {}, deployment.other);
        await Promise.all([a.whenSynced(), b.whenSynced()]);
        expect(a.indexStats()).toMatchObject({ semanticIndex: 'auto', vectorSets: true });
        await cacheOf(a).store(request('How long does shipping to Canada take?'), {
          value: 'About 5 days',
        });
        // No waiting for anything: the vector is on the server.
        expect(
          await cacheOf(b).lookup(request('how long does shipping to canada take')),
        ).toMatchObject({ kind: 'semantic', value: 'About 5 days' });
        expect(b.indexStats()).toMatchObject({ entries: 0, partitionLoads: 0, synced: false });
        const layout = keyLayout(prefix);
        expect(await keysOf(deployment.client, `${prefix}*:p:{*}`)).toEqual([]);
        expect(await keysOf(deployment.client, layout.changes)).toEqual([]);
        expect(await vectorsOf(deployment.client, prefix)).toBe(1);
        // Nor a change-stream connection: the replica's sync never ran.
        for (const node of masters(deployment.client)) {
          expect(String(await node.call('CLIENT', 'LIST'))).not.toContain('name=semcache-changes');
        }
        const [setKey] = await keysOf(deployment.client, layout.allVectorSets);
        expect(await deployment.client.pttl(setKey as string)).toBeGreaterThan(0);
      });

      test('a fresh node process finds an entry semantically on its first lookup, without a sync', async () => {
        const prefix = nextPrefix();
        const store = newStore(prefix);
        await cacheOf(store).store(request('Which plans include SSO?'), { value: 'Enterprise' });
        const started = startNodeWorker(
          worker,
          [
            JSON.stringify({
              ...deployment.target,
              url: deployment.target.url ?? '',
              prefix,
              mode: 'lookup',
              text: 'which plans include sso',
            }),
          ],
          { sources: true },
        );
        children.add(started.child);
        const result = JSON.parse(await started.line('RESULT ')) as {
          kind: string;
          value: unknown;
          stats: { entries: number; partitionLoads: number; vectorSets: boolean };
        };
        expect(result).toMatchObject({
          kind: 'semantic',
          value: 'Enterprise',
          stats: { entries: 0, partitionLoads: 0, vectorSets: true },
        });
        expect(await started.exited).toBe(0);
      }, 30_000);

      test('expiry: an expired entry is never a hit and its vector is removed', async () => {
        const prefix = nextPrefix();
        const store = newStore(prefix);
        await store.whenSynced();
        const vector = lexicalVector('a short-lived answer', 256);
        await store.set('default', {
          key: 'short',
          payload: 'x',
          // Long enough that a busy machine still searches it first.
          ttlMs: 1500,
          index: { partition: 'p', vector },
        });
        // A long-lived entry keeps the vector set (whose TTL follows its newest entry) alive.
        const other = lexicalVector('something else entirely, kept for a minute', 256);
        await store.set('default', {
          key: 'long',
          payload: 'y',
          ttlMs: 60_000,
          index: { partition: 'p', vector: other },
        });
        const query = { partition: 'p', vector, minSimilarity: 0.9, limit: 2 };
        expect((await store.search('default', query)).map((m) => m.key)).toEqual(['short']);
        await until(async () => (await store.get('default', 'short')) === undefined);
        expect(await store.search('default', query)).toEqual([]);
        // Its vector goes with a later search's sweep (the entry is gone on the server), without
        // touching the live one.
        await until(async () => {
          expect(await store.search('default', query)).toEqual([]);
          return (await vectorsOf(deployment.client, prefix)) === 1;
        }, 20_000);
        expect(
          (await store.search('default', { ...query, vector: other })).map((m) => m.key),
        ).toEqual(['long']);
      }, 30_000);

      test('delete removes the vector; an entry gone behind the store’s back is never served and its vector goes', async () => {
        const prefix = nextPrefix();
        const store = newStore(prefix);
        await store.whenSynced();
        const vector = lexicalVector('what is deleted', 256);
        const query = { partition: 'p', vector, minSimilarity: 0.9, limit: 2 };
        for (const key of ['k1', 'k2']) {
          await store.set('default', {
            key,
            payload: key,
            ttlMs: 60_000,
            index: { partition: 'p', vector },
          });
        }
        expect(await vectorsOf(deployment.client, prefix)).toBe(2);
        await store.delete('default', 'k1');
        expect(await vectorsOf(deployment.client, prefix)).toBe(1);
        // As eviction would: the entry goes, its vector stays until a search finds it.
        for (const key of await keysOf(deployment.client, `${prefix}*:e:{k2}`)) {
          await deployment.client.del(key);
        }
        expect(await store.search('default', query)).toEqual([]);
        await until(async () => (await vectorsOf(deployment.client, prefix)) === 0);
      });

      test('clear: no hit in either process afterwards', async () => {
        const prefix = nextPrefix();
        const a = cacheOf(newStore(prefix));
        const b = cacheOf(newStore(prefix, { generationRefreshMs: 50 }, deployment.other));
        await a.store(request('What does the cluster store?', 'docs'), { value: 'entries' });
        const near = request('what does the cluster store', 'docs');
        expect((await b.lookup(near)).kind).toBe('semantic');
        await a.clear('docs');
        expect((await a.lookup(near)).kind).toBe('miss');
        await until(async () => (await b.lookup(near)).kind === 'miss');
      });

      test("'replica' on Redis 8 keeps the replica; 'both' writes both and answers before its replica loaded", async () => {
        const prefix = nextPrefix();
        const replica = newStore(prefix, { semanticIndex: 'replica' });
        await replica.whenSynced();
        await cacheOf(replica).store(request('Replica question'), { value: 'r' });
        expect(await vectorsOf(deployment.client, prefix)).toBe(0);

        const both = newStore(prefix, { semanticIndex: 'both' });
        await both.whenSynced();
        await cacheOf(both).store(request('Both question'), { value: 'b' });
        expect(await vectorsOf(deployment.client, prefix)).toBe(1);
        // A new 'both' store: its first lookup is VSIM, later ones its loaded replica.
        const late = newStore(prefix, { semanticIndex: 'both' }, deployment.other);
        const cache = cacheOf(late);
        expect(await cache.lookup(request('both question!'))).toMatchObject({
          kind: 'semantic',
          value: 'b',
        });
        await until(async () => late.indexStats().partitionLoads === 1);
        expect(await cache.lookup(request('both question?'))).toMatchObject({
          kind: 'semantic',
          value: 'b',
        });
        // The replica store hears of the 'both' store's entry through the change stream.
        await until(
          async () =>
            (await cacheOf(replica).lookup(request('both question!'))).kind === 'semantic',
        );
      });

      test('admin: stats counts the vector sets, their vectors and memory; clear removes them', async () => {
        const prefix = nextPrefix();
        const cache = cacheOf(newStore(prefix));
        for (const [i, text] of ['alpha question', 'beta question', 'gamma question'].entries()) {
          await cache.store(request(text, 'docs'), { value: `v${i}` });
          await cache.store(request(text, 'other'), { value: `v${i}` });
        }
        const stats = await collectStats(deployment.client, { prefix });
        expect(stats.vectorSets.sets).toBe(2);
        expect(stats.vectorSets.vectors).toBe(6);
        expect(stats.vectorSets.bytes).toBeGreaterThan(0);
        expect(stats.namespaces.find((n) => n.namespace === 'docs')).toMatchObject({
          entries: 3,
          vectorSets: 1,
          vectors: 3,
        });
        if (deployment.target.url) {
          let out = '';
          const io = {
            stdout: { write: (text: string) => (out += text) },
            stderr: { write: () => true },
            env: {},
          };
          expect(
            await runCli(['stats', '--url', deployment.target.url, '--prefix', prefix], io),
          ).toBe(0);
          expect(out).toMatch(/^docs\s+\d+\s+3\s+0\s+3\s+3 in 1\s/m);
          expect(out).toMatch(/vector sets 2 \(6 vectors, [\d.]+ [KMG]?i?B\)/);
        }
        await clearEntries(deployment.client, { namespace: 'docs' }, { prefix });
        const after = await collectStats(deployment.client, { prefix });
        expect(after.vectorSets).toMatchObject({ sets: 1, vectors: 3 });
        // By label: the entries go, and their vectors with them.
        await clearEntries(deployment.client, { modelId: 'worker-model' }, { prefix });
        expect((await collectStats(deployment.client, { prefix })).vectorSets.vectors).toBe(0);
      });

      test('vector sets of one namespace spread over the masters by partition', async () => {
        if (!isCluster(deployment.client)) return;
        const prefix = nextPrefix();
        const store = newStore(prefix);
        await store.whenSynced();
        for (let i = 0; i < 30; i++) {
          const vector = lexicalVector(`question ${i}`, 64);
          await store.set('default', {
            key: `k${i}`,
            payload: `${i}`,
            ttlMs: 60_000,
            index: { partition: `partition ${i}`, vector },
          });
        }
        const perNode = await Promise.all(
          masters(deployment.client).map(
            async (node) => (await (node as Redis).keys(keyLayout(prefix).allVectorSets)).length,
          ),
        );
        expect(perNode.reduce((a, b) => a + b, 0)).toBe(30);
        for (const count of perNode) expect(count).toBeGreaterThan(0);
        for (let i = 0; i < 30; i++) {
          const vector = lexicalVector(`question ${i}`, 64);
          const found = await store.search('default', {
            partition: `partition ${i}`,
            vector,
            minSimilarity: 0.9,
            limit: 3,
          });
          expect(found.map((m) => m.key)).toEqual([`k${i}`]);
        }
      });
    });
  },
);

describe('a server without vector sets (the redis-server on PATH)', () => {
  test('every semanticIndex choice falls back to the replica there and works as before', async () => {
    const server = await startRedisServer({ useEnvUrl: false });
    try {
      const client = server.client({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      await new Promise((resolve) => client.once('ready', resolve));
      const version = Number(/redis_version:(\d+)/.exec(await client.info('server'))?.[1]);
      for (const semanticIndex of ['auto', 'vector-set', 'both'] as const) {
        const prefix = `fallback-${semanticIndex}:`;
        const a = new RedisStore({ client, prefix, semanticIndex });
        const b = new RedisStore({ client, prefix, semanticIndex });
        try {
          await Promise.all([a.whenSynced(), b.whenSynced()]);
          expect(a.indexStats().vectorSets).toBe(version >= 8);
          const cacheA = createSemanticCache({ store: a, storeTimeoutMs: 5_000 });
          const cacheB = createSemanticCache({ store: b, storeTimeoutMs: 5_000 });
          await cacheA.store(request('Where is my order?'), { value: 'On its way' });
          await until(
            async () => (await cacheB.lookup(request('where is my order'))).kind === 'semantic',
          );
          if (version < 8) expect(b.indexStats().partitionLoads).toBeGreaterThanOrEqual(1);
        } finally {
          await a.close();
          await b.close();
        }
      }
    } finally {
      await server.stop();
    }
  }, 30_000);
});
