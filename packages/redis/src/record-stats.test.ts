import { type CacheRequest, createSemanticCache } from '@semcache/core';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { keyLayout } from './key-layout.js';
import { RedisStore } from './redis-store.js';
import { type RedisServer, startRedisServer } from './testing.js';

let server: RedisServer;
let client: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  client = server.client({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  await new Promise((resolve) => client.once('ready', resolve));
}, 20_000);

afterAll(async () => {
  await server.stop();
});

function request(text: string): CacheRequest {
  return {
    model: { provider: 'test', id: 'm1' },
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    scope: { namespace: 'counted' },
  };
}

/**
 * The counters, read on the connection the store writes them on: its HINCRBYs were sent before
 * the calls returned, so this read comes after them.
 */
async function counters(prefix: string): Promise<Record<string, number>> {
  const raw = await client.hgetall(keyLayout(prefix).stats('counted'));
  return Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, Number(value)]));
}

test('recordStats counts one exact miss per request, also for the leader that rechecks before calling the model', async () => {
  const prefix = 'counted1:';
  // The coordinator (distributed single-flight, on by default) makes the leader read the key a
  // second time after taking its lease; that read is not a second miss.
  const store = new RedisStore({ client, prefix, recordStats: true });
  await store.whenSynced();
  const cache = createSemanticCache({ store, storeTimeoutMs: 2000, semantic: false });
  const questions = Array.from({ length: 20 }, (_, i) => `question number ${i} about counters`);
  let computed = 0;
  const compute = async () => {
    computed++;
    return { value: `answer ${computed}`, finishReason: 'stop' as const };
  };
  for (const question of questions) await cache.getOrCompute(request(question), compute);
  expect(computed).toBe(20);
  await cache.flush();
  expect(await counters(prefix)).toEqual({ misses: 20 });

  for (const question of questions) await cache.getOrCompute(request(question), compute);
  expect(computed).toBe(20);
  expect(await counters(prefix)).toEqual({ misses: 20, hits: 20 });
  await store.close();
}, 30_000);

test('a semantic lookup adds one search count, not another miss', async () => {
  const prefix = 'counted2:';
  const store = new RedisStore({ client, prefix, recordStats: true });
  await store.whenSynced();
  const cache = createSemanticCache({ store, storeTimeoutMs: 2000 });
  const compute = async () => ({ value: 'Paris', finishReason: 'stop' as const });
  await cache.getOrCompute(request('What is the capital of France?'), compute);
  await cache.flush();
  const first = await counters(prefix);
  expect(first.misses).toBe(1);
  expect(first.hits).toBeUndefined();
  expect(first.searchMisses ?? 0).toBeLessThanOrEqual(1);
  const hit = await cache.lookup(request("What's the capital of France?"));
  expect(hit.kind).toBe('semantic');
  const second = await counters(prefix);
  expect(second.misses).toBe(2);
  expect(second.searchHits).toBe(1);
  await store.close();
}, 30_000);
