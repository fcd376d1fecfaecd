import { fileURLToPath } from 'node:url';
import { type MockOpenAIServer, startMockOpenAI } from '@semcache/mock-openai';
import { type RedisServer, startNodeWorker, startRedisServer } from '@semcache/redis/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';

/**
 * Every call here is a new `node` process, as a serverless cold start, a redeployed replica or a
 * script is: it builds the cache the way the Redis README shows, calls generateText / streamText
 * at once (no wait for `ready`, no `whenSynced()`) through real HTTP to the mock server, flushes
 * and exits.
 */
const fixture = fileURLToPath(new URL('../test-fixtures/fresh-call.ts', import.meta.url));

interface Answer {
  text: string;
  hit: string | undefined;
  ms: number;
}
interface Result {
  answers: Answer[];
  second?: Answer;
  errors: string[];
}

let redis: RedisServer;
let upstream: MockOpenAIServer;
let run = 0;
let prefix = '';

beforeAll(async () => {
  redis = await startRedisServer({ useEnvUrl: false });
  upstream = await startMockOpenAI();
}, 20_000);
afterAll(async () => {
  await upstream?.close();
  await redis?.stop();
});
beforeEach(() => {
  upstream.reset();
  upstream.setLatency(0);
  prefix = `fresh${++run}:`;
});

async function freshProcess(
  prompts: string[],
  options: {
    stream?: boolean;
    redisUrl?: string;
    connectWaitMs?: number;
    second?: string;
    exitAtOnce?: boolean;
  } = {},
): Promise<Result> {
  const { redisUrl = redis.url, ...rest } = options;
  const worker = startNodeWorker(
    fixture,
    [JSON.stringify({ redisUrl, prefix, baseURL: upstream.url, prompts, ...rest })],
    { sources: true },
  );
  const result = JSON.parse(await worker.line('RESULT ')) as Result;
  expect(await worker.exited).toBe(0);
  return result;
}

const modelCalls = () => upstream.requests.chat + upstream.requests.chatStream;

describe('fresh processes share the Redis cache (AI SDK, HTTP, redis-server)', () => {
  test("the second process's first call is an exact hit", async () => {
    const first = await freshProcess(['What is the capital of France?']);
    expect(first.answers[0]?.hit).toBe('miss');
    const second = await freshProcess(['What is the capital of France?']);
    expect(second.answers[0]).toMatchObject({ hit: 'exact', text: first.answers[0]?.text });
    expect(modelCalls()).toBe(1);
    expect(second.errors).toEqual([]);
  }, 30_000);

  test("a new process's first call is a semantic hit on an entry another process stored", async () => {
    await freshProcess(['How do I reset my password?']);
    const second = await freshProcess(['how do i reset my password']);
    expect(second.answers[0]?.hit).toBe('semantic');
    expect(modelCalls()).toBe(1);
  }, 30_000);

  test('4 fresh processes × 25 concurrent identical calls make one model call', async () => {
    upstream.setLatency(1500);
    const prompts = Array.from({ length: 25 }, () => 'Write a haiku about caches');
    const results = await Promise.all([1, 2, 3, 4].map(() => freshProcess(prompts)));
    expect(modelCalls()).toBe(1);
    const answers = results.flatMap((result) => result.answers);
    expect(new Set(answers.map((answer) => answer.text)).size).toBe(1);
    expect(answers.filter((answer) => answer.hit === 'miss')).toHaveLength(1);
  }, 60_000);

  test('a stream that ends just before its process exits (after flush) leaves a hit', async () => {
    const first = await freshProcess(['Stream the story of Rome'], {
      stream: true,
      exitAtOnce: true,
    });
    expect(first.answers[0]?.hit).toBe('miss');
    const second = await freshProcess(['Stream the story of Rome'], { stream: true });
    expect(second.answers[0]).toMatchObject({ hit: 'exact', text: first.answers[0]?.text });
  }, 30_000);

  test('after Redis restarts, fresh processes store and hit again', async () => {
    await freshProcess(['Before the restart?']);
    await redis.restart();
    const after = await freshProcess(['After the restart?']);
    expect(after.answers[0]?.hit).toBe('miss');
    const again = await freshProcess(['After the restart?']);
    expect(again.answers[0]?.hit).toBe('exact');
  }, 30_000);
});

describe('Redis unreachable at start: every call is answered', () => {
  const bound = 2000;

  test('closed port: the first call waits at most connectWaitMs, the next one not at all', async () => {
    const closed = `redis://127.0.0.1:${redis.port + 1}`;
    const result = await freshProcess(['Is anyone there?'], {
      redisUrl: closed,
      connectWaitMs: bound,
      second: 'Still nobody?',
    });
    expect(result.answers[0]?.text).toMatch(/Mock answer/);
    expect(result.answers[0]?.ms).toBeLessThan(bound + 3000);
    expect(result.second?.text).toMatch(/Mock answer/);
    expect(result.second?.ms).toBeLessThan(bound / 2);
    expect(modelCalls()).toBe(2);
  }, 30_000);

  test('frozen server (SIGSTOP): the same, and caching works once it is back', async () => {
    redis.pause();
    try {
      const result = await freshProcess(['Frozen?'], {
        connectWaitMs: bound,
        second: 'Still frozen?',
      });
      expect(result.answers[0]?.text).toMatch(/Mock answer/);
      expect(result.answers[0]?.ms).toBeLessThan(bound + 3000);
      expect(result.second?.ms).toBeLessThan(bound / 2);
    } finally {
      redis.resume();
    }
    await freshProcess(['Thawed?']);
    expect((await freshProcess(['Thawed?'])).answers[0]?.hit).toBe('exact');
  }, 30_000);
});
