import { createSemanticCache } from '@semcache/core';
import { type MockOpenAIServer, startMockOpenAI } from '@semcache/mock-openai';
import { RedisStore } from '@semcache/redis';
import { type RedisServer, startRedisServer } from '@semcache/redis/testing';
import { generateText, wrapLanguageModel } from 'ai';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createHolySheep } from './holysheep.js';
import { semanticCacheMiddleware } from './semantic-cache-middleware.js';

let redis: RedisServer;
let upstream: MockOpenAIServer;

beforeAll(async () => {
  redis = await startRedisServer();
  upstream = await startMockOpenAI();
}, 20_000);
afterAll(async () => {
  await upstream?.close();
  await redis?.stop();
});

/** Keeps the event loop busy `busyMs` of every `everyMs`, as other requests' CPU work would. */
function cpuHog(busyMs: number, everyMs: number): () => void {
  const timer = setInterval(() => {
    const until = performance.now() + busyMs;
    while (performance.now() < until) {
      // busy
    }
  }, everyMs);
  return () => clearInterval(timer);
}

test('a burst of 300 calls on a saturated event loop, Redis healthy: the breaker stays closed, every answer is stored, repeats hit', async () => {
  const client = redis.client({
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    enableAutoPipelining: true,
  });
  const store = new RedisStore({ client, prefix: `load${process.pid}:` });
  const cache = createSemanticCache({ store });
  const circuit: string[] = [];
  const errors: string[] = [];
  cache.on('circuit', ({ state, reason }) => circuit.push(`${state}: ${reason}`));
  cache.on('error', ({ operation, error }) => errors.push(`${operation}: ${error.message}`));
  const model = wrapLanguageModel({
    model: createHolySheep({ apiKey: 'test-key', baseURL: upstream.url })('gpt-4.1'),
    middleware: semanticCacheMiddleware({ cache }),
  });
  const prompts = Array.from(
    { length: 300 },
    (_, i) => `Under load, question number ${i}: what is ${i} squared?`,
  );
  const stopHog = cpuHog(40, 45);
  try {
    // Every store operation of this burst waits far longer than storeTimeoutMs (50 ms) in wall
    // time, queued behind the hog: none of that is the store's fault.
    await Promise.all(prompts.map((prompt) => generateText({ model, prompt })));
  } finally {
    stopHog();
  }
  await cache.flush();
  expect(circuit).toEqual([]);
  expect(errors).toEqual([]);
  expect(cache.stats().stores).toBe(300);
  const repeats = await Promise.all(prompts.map((prompt) => generateText({ model, prompt })));
  expect(
    repeats.filter((r) => (r.providerMetadata?.semcache as { hit?: string })?.hit === 'exact'),
  ).toHaveLength(300);
  expect(upstream.requests.chat).toBe(300);
  await cache.close();
  await store.close();
  client.disconnect();
}, 60_000);
