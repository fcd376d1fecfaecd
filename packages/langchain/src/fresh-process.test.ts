import { fileURLToPath } from 'node:url';
import { type MockOpenAIServer, startMockOpenAI } from '@semcache/mock-openai';
import { type RedisServer, startNodeWorker, startRedisServer } from '@semcache/redis/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';

/**
 * Every call here is a new `node` process (a serverless cold start, a script) using ChatOpenAI
 * with `cache: new SemanticCache(...)` on a RedisStore, over real HTTP to the mock server; it
 * asks at once, flushes and exits right after answering.
 */
const fixture = fileURLToPath(new URL('../test-fixtures/fresh-call.ts', import.meta.url));

interface Result {
  answers: { text: string; hit: string | undefined }[];
}

let redis: RedisServer;
let upstream: MockOpenAIServer;
let run = 0;
let prefix = '';

beforeAll(async () => {
  redis = await startRedisServer();
  upstream = await startMockOpenAI();
}, 20_000);
afterAll(async () => {
  await upstream?.close();
  await redis?.stop();
});
beforeEach(() => {
  upstream.reset();
  upstream.setLatency(0);
  prefix = `lcfresh${process.pid}-${++run}:`;
});

async function freshProcess(prompts: string[], stream = false): Promise<Result> {
  const worker = startNodeWorker(
    fixture,
    [JSON.stringify({ redisUrl: redis.url, prefix, baseURL: upstream.url, prompts, stream })],
    { sources: true },
  );
  const result = JSON.parse(await worker.line('RESULT ')) as Result;
  expect(await worker.exited).toBe(0);
  return result;
}

const modelCalls = () => upstream.requests.chat + upstream.requests.chatStream;

describe('fresh processes share the Redis cache (LangChain, HTTP, redis-server)', () => {
  test("the second process's first invoke is an exact hit, a reworded one a semantic hit", async () => {
    expect((await freshProcess(['What is the capital of France?'])).answers[0]?.hit).toBe('miss');
    expect((await freshProcess(['What is the capital of France?'])).answers[0]?.hit).toBe('exact');
    expect((await freshProcess(['what is the capital of france'])).answers[0]?.hit).toBe(
      'semantic',
    );
    expect(modelCalls()).toBe(1);
  }, 30_000);

  test('4 fresh processes × 25 concurrent identical invokes make one model call', async () => {
    upstream.setLatency(1500);
    const prompts = Array.from({ length: 25 }, () => 'Write a haiku about caches');
    const results = await Promise.all([1, 2, 3, 4].map(() => freshProcess(prompts)));
    expect(modelCalls()).toBe(1);
    const answers = results.flatMap((result) => result.answers);
    expect(new Set(answers.map((answer) => answer.text)).size).toBe(1);
  }, 60_000);

  test('a streamed answer (withSemanticCache) is in Redis once its process flushed and exited', async () => {
    const first = await freshProcess(['Stream the story of Rome'], true);
    expect(first.answers[0]?.hit).toBe('miss');
    const second = await freshProcess(['Stream the story of Rome'], true);
    expect(second.answers[0]).toMatchObject({ hit: 'exact', text: first.answers[0]?.text });
    expect(modelCalls()).toBe(1);
  }, 30_000);
});
