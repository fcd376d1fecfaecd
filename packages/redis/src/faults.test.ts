import { randomBytes } from 'node:crypto';
import {
  type CacheRequest,
  createSemanticCache,
  type SemanticCache,
  type SemcacheError,
} from '@semcache/core';
import { afterEach, describe, expect, test } from 'vitest';
import { RedisStore } from './redis-store.js';
import {
  findRedis8Server,
  type RedisServer,
  redis8SkipReason,
  startRedisServer,
} from './testing.js';

const redis8 = findRedis8Server();

// These tests stop, freeze and fill a server, so each starts a private one (never REDIS_URL).
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  args: string[] = [],
  binary?: string,
): Promise<{
  server: RedisServer;
  store: RedisStore;
  cache: SemanticCache;
  errors: SemcacheError[];
}> {
  const server = await startRedisServer({
    useEnvUrl: false,
    args,
    ...(binary ? { binary } : {}),
  });
  cleanups.push(() => server.stop());
  // The options the README recommends, with a fast reconnect for the test.
  const client = server.client({
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 20,
  });
  await new Promise((resolve) => client.once('ready', resolve));
  const store = new RedisStore({ client });
  cleanups.push(() => store.close());
  await store.whenSynced();
  const cache = createSemanticCache({
    store,
    storeTimeoutMs: 100,
    circuitBreaker: { failureThreshold: 3, cooldownMs: 100 },
  });
  const errors: SemcacheError[] = [];
  cache.on('error', ({ error }) => errors.push(error));
  return { server, store, cache, errors };
}

function request(text: string): CacheRequest {
  return {
    model: { provider: 'test', id: 'model' },
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
  };
}

const compute = (value: string) => async () => ({ value, finishReason: 'stop' });

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const servers = [
  { name: 'redis-server on PATH', binary: undefined, skip: false },
  {
    name: `Redis 8, vector sets (${redis8 ?? redis8SkipReason})`,
    binary: redis8,
    skip: !redis8,
  },
];

describe.each(servers)('Redis faults never fail a call: $name', ({ binary, skip }) => {
  test.skipIf(skip)(
    'killed and restarted mid-traffic: every call succeeds and caching resumes',
    async () => {
      const { server, store, cache } = await setup([], binary);
      let calls = 0;
      let failures = 0;
      let running = true;
      const traffic = (async () => {
        while (running) {
          const text = `question number ${calls % 7}`;
          await cache.getOrCompute(request(text), compute(`answer ${calls % 7}`)).then(
            (result) => {
              if (result.value !== `answer ${calls % 7}`) failures++;
            },
            () => failures++,
          );
          calls++;
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      await until(async () => calls > 20);
      await server.kill();
      const atKill = calls;
      await until(async () => calls > atKill + 20);
      await server.restart();
      // The restarted server is empty; caching comes back by itself (breaker cooldown, reconnect).
      await until(async () => (await cache.lookup(request('question number 3'))).kind === 'exact');
      running = false;
      await traffic;
      expect(failures).toBe(0);
      // Semantic hits work again too: the replica reloaded from the new server, or the vector
      // sets were probed again on the new connection.
      await until(
        async () => (await cache.lookup(request('question number 3!'))).kind === 'semantic',
      );
      if (binary) expect(store.indexStats().vectorSets).toBe(true);
      else expect(store.indexStats().syncs).toBeGreaterThanOrEqual(2);
    },
    30_000,
  );

  test.skipIf(skip)(
    'paused (SIGSTOP): calls are answered within the timeouts, then caching resumes',
    async () => {
      const { server, cache, errors } = await setup([], binary);
      await cache.getOrCompute(request('before the pause'), compute('cached'));
      server.pause();
      try {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            cache.getOrCompute(request(`during pause ${i}`), compute(`v${i}`)),
          ),
        );
        expect(results.map((r) => r.value)).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
        const served = await cache.getOrCompute(request('before the pause'), compute('recomputed'));
        expect(served.value).toBe('recomputed');
        expect(errors.some((e) => e.code === 'STORE_UNAVAILABLE')).toBe(true);
      } finally {
        server.resume();
      }
      await until(async () => (await cache.lookup(request('before the pause'))).kind === 'exact');
      await until(
        async () => (await cache.lookup(request('before the pause!'))).kind === 'semantic',
      );
    },
    20_000,
  );

  test.skipIf(skip)(
    'maxmemory reached with noeviction: writes fail open, reads go on',
    async () => {
      const { cache, errors } = await setup(
        ['--maxmemory', '4mb', '--maxmemory-policy', 'noeviction'],
        binary,
      );
      await cache.getOrCompute(request('stored early'), compute('early'));
      const big = () => randomBytes(48 * 1024).toString('base64');
      let notStored = 0;
      for (let i = 0; i < 200 && notStored < 3; i++) {
        const value = big();
        const result = await cache.getOrCompute(request(`filler ${i}`), compute(value));
        expect(result.value).toBe(value);
        if (result.kind === 'miss' && !result.stored) notStored++;
      }
      expect(notStored).toBe(3);
      expect(errors.some((e) => /OOM/.test(e.message))).toBe(true);
      await until(async () => (await cache.lookup(request('stored early'))).kind === 'exact');
    },
    20_000,
  );

  test.skipIf(skip)(
    'maxmemory with allkeys-lru evicting entries and vectors: never a wrong hit',
    async () => {
      const { store, errors } = await setup(
        ['--maxmemory', '3mb', '--maxmemory-policy', 'allkeys-lru'],
        binary,
      );
      // Random unit vectors (as embedders give, L2-normalised) are far apart: a correct semantic
      // hit for vector i is entry i only.
      const dimensions = 64;
      const vectors = Array.from({ length: 1500 }, () => {
        const vector = Float32Array.from(randomBytes(dimensions), (byte) => byte / 255 - 0.5);
        const norm = Math.hypot(...vector);
        return vector.map((x) => x / norm);
      });
      // Incompressible, so the entries really fill the 3 MB.
      const payloads = vectors.map((_, i) => `${i}:${randomBytes(1500).toString('base64')}`);
      const payload = (i: number) => payloads[i] as string;
      for (const [i, vector] of vectors.entries()) {
        await store
          .set('default', {
            key: `k${i}`,
            payload: payload(i),
            ttlMs: 600_000,
            index: { partition: `p${i % 5}`, vector },
          })
          .catch(() => {});
      }
      let hits = 0;
      for (const [i, vector] of vectors.entries()) {
        const found = await store.search('default', {
          partition: `p${i % 5}`,
          vector,
          minSimilarity: 0.95,
          limit: 3,
        });
        for (const match of found) {
          expect(match.key).toBe(`k${i}`);
          expect(match.payload).toBe(payload(i));
          hits++;
        }
      }
      // Some were evicted (LRU may take whole vector sets, so how many survive varies) ...
      expect(hits).toBeLessThan(vectors.length);
      // ... and the full server still takes and finds a new entry.
      const fresh = vectors[0] as Float32Array;
      await store.set('default', {
        key: 'fresh',
        payload: 'fresh answer',
        ttlMs: 600_000,
        index: { partition: 'after-eviction', vector: fresh },
      });
      const again = await store.search('default', {
        partition: 'after-eviction',
        vector: fresh,
        minSimilarity: 0.95,
        limit: 3,
      });
      expect(again.map((match) => [match.key, match.payload])).toEqual([['fresh', 'fresh answer']]);
      expect(errors).toEqual([]);
    },
    60_000,
  );
});
