import { createSemanticCache, type SemanticCache, SemcacheError } from '@semcache/core';
import { type MockOpenAIServer, startMockOpenAI } from '@semcache/mock-openai';
import {
  APICallError,
  generateText,
  jsonSchema,
  Output,
  streamText,
  tool,
  wrapLanguageModel,
} from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createHolySheep } from './holysheep.js';
import { semanticCacheMiddleware } from './semantic-cache-middleware.js';

let server: MockOpenAIServer;
let cache: SemanticCache;

beforeAll(async () => {
  server = await startMockOpenAI();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
  cache = createSemanticCache();
});

const modelCalls = () => server.requests.chat + server.requests.chatStream;

function cachedModel(options: { id?: string; tenant?: string } = {}) {
  const holysheep = createHolySheep({ apiKey: 'test-key', baseURL: server.url });
  return wrapLanguageModel({
    model: holysheep(options.id ?? 'gpt-4.1'),
    middleware: semanticCacheMiddleware({
      cache,
      ...(options.tenant ? { tenant: options.tenant } : {}),
    }),
  });
}

interface StreamOutcome {
  textStream: AsyncIterable<string>;
  finishReason: PromiseLike<string>;
  usage: PromiseLike<{ outputTokens: number | undefined }>;
  toolCalls: PromiseLike<Array<{ toolName: string; input: unknown }>>;
  providerMetadata: PromiseLike<Record<string, Record<string, unknown>> | undefined>;
}

async function streamAll(result: StreamOutcome) {
  let text = '';
  for await (const delta of result.textStream) text += delta;
  return {
    text,
    finishReason: await result.finishReason,
    usage: await result.usage,
    toolCalls: await result.toolCalls,
    semcache: (await result.providerMetadata)?.semcache,
  };
}

const weatherTool = tool({
  description: 'Get the weather in a city',
  inputSchema: jsonSchema<{ city: string }>({
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  }),
});

describe('semanticCacheMiddleware with generateText', () => {
  test('a repeat is an exact hit: same text, same usage, no second request', async () => {
    const model = cachedModel();
    const first = await generateText({ model, prompt: 'What is the capital of France?' });
    const second = await generateText({ model, prompt: 'What is the capital of France?' });
    expect(modelCalls()).toBe(1);
    expect(second.text).toBe(first.text);
    expect(second.finishReason).toBe(first.finishReason);
    expect(second.usage.outputTokens).toBe(first.usage.outputTokens);
    expect(first.providerMetadata?.semcache).toEqual({ hit: 'miss' });
    expect(second.providerMetadata?.semcache).toMatchObject({ hit: 'exact', similarity: 1 });
    expect(second.providerMetadata?.semcache?.savedUsd).toBeGreaterThan(0);
    expect(second.response.timestamp).toBeInstanceOf(Date);
  });

  test('a reworded question is a semantic hit', async () => {
    const model = cachedModel();
    const first = await generateText({ model, prompt: 'How do I reset my password?' });
    const second = await generateText({ model, prompt: 'how do i reset my password' });
    expect(modelCalls()).toBe(1);
    expect(second.text).toBe(first.text);
    expect(second.providerMetadata?.semcache).toMatchObject({ hit: 'semantic' });
  });

  test('"turn on" is never served from "turn off"', async () => {
    const model = cachedModel();
    const on = await generateText({ model, prompt: 'turn on the kitchen light' });
    const off = await generateText({ model, prompt: 'turn off the kitchen light' });
    expect(modelCalls()).toBe(2);
    expect(off.text).not.toBe(on.text);
  });

  test('tools, responseFormat, system, temperature and model changes never share entries', async () => {
    const prompt = 'What is the weather like in Paris today?';
    await generateText({ model: cachedModel(), prompt });
    const variants = [
      () => generateText({ model: cachedModel(), prompt, tools: { weather: weatherTool } }),
      () =>
        generateText({
          model: cachedModel(),
          prompt,
          output: Output.object({
            schema: jsonSchema({
              type: 'object',
              properties: { answer: { type: 'string' } },
              required: ['answer'],
            }),
          }),
        }),
      () => generateText({ model: cachedModel(), prompt, system: 'Answer in French.' }),
      () => generateText({ model: cachedModel(), prompt, temperature: 0, seed: 7 }),
      () => generateText({ model: cachedModel({ id: 'gpt-4.1-mini' }), prompt }),
      () => generateText({ model: cachedModel({ tenant: 'other' }), prompt }),
    ];
    for (const [i, run] of variants.entries()) {
      const result = await run();
      expect(result.providerMetadata?.semcache).toEqual({ hit: 'miss' });
      expect(modelCalls()).toBe(i + 2);
    }
  });

  test('tool calls are cached and replayed with their input', async () => {
    const model = cachedModel();
    const first = await generateText({
      model,
      prompt: 'What is the weather in Paris?',
      tools: { weather: weatherTool },
    });
    const second = await generateText({
      model,
      prompt: 'What is the weather in Paris?',
      tools: { weather: weatherTool },
    });
    expect(first.toolCalls).toHaveLength(1);
    expect(second.toolCalls).toEqual(first.toolCalls);
    expect(second.finishReason).toBe('tool-calls');
    expect(modelCalls()).toBe(1);
  });

  test('structured output is cached', async () => {
    const output = Output.object({
      schema: jsonSchema<{ answer: string }>({
        type: 'object',
        properties: { answer: { type: 'string' } },
        required: ['answer'],
      }),
    });
    const model = cachedModel();
    const first = await generateText({ model, prompt: 'Give me a JSON answer', output });
    const second = await generateText({ model, prompt: 'Give me a JSON answer', output });
    expect(second.output).toEqual(first.output);
    expect(modelCalls()).toBe(1);
  });

  test.each([401, 429, 500] as const)(
    'a %i passes through unchanged and is not cached',
    async (status) => {
      const model = cachedModel();
      server.failNext({ status });
      const error = await generateText({ model, prompt: 'Hello there', maxRetries: 0 }).catch(
        (e: unknown) => e,
      );
      expect(APICallError.isInstance(error)).toBe(true);
      expect((error as APICallError).statusCode).toBe(status);
      if (status === 401) expect((error as Error).message).toMatch(/HOLYSHEEP_API_KEY/);
      const retry = await generateText({ model, prompt: 'Hello there', maxRetries: 0 });
      expect(retry.providerMetadata?.semcache).toEqual({ hit: 'miss' });
      expect(modelCalls()).toBe(2);
    },
  );

  test('bad options fail at construction with INVALID_OPTIONS, not on every call', () => {
    for (const [options, message] of [
      [{}, /the `cache` option is required/],
      [undefined, /needs options/],
      [
        { cache, tennant: 'a' },
        /tennant is not an option; use one of cache, tenant, namespace, replay/,
      ],
    ] as const) {
      try {
        semanticCacheMiddleware(options as never);
        expect.unreachable();
      } catch (error) {
        expect(SemcacheError.isInstance(error, 'INVALID_OPTIONS')).toBe(true);
        expect((error as Error).message).toMatch(message);
      }
    }
  });

  test('20 concurrent identical calls make one request', async () => {
    const model = cachedModel();
    server.setLatency(100);
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, () => generateText({ model, prompt: 'Tell me a fact' })),
      );
      expect(modelCalls()).toBe(1);
      expect(new Set(results.map((r) => r.text)).size).toBe(1);
      expect(results.filter((r) => r.providerMetadata?.semcache?.coalesced === true)).toHaveLength(
        19,
      );
    } finally {
      server.setLatency(0);
    }
  });

  test('per-call options: bypass, refresh, namespace, tenant, threshold — never sent to the provider', async () => {
    const model = cachedModel();
    const prompt = 'Where is the Eiffel tower?';
    const call = (semcache: Record<string, unknown>, text = prompt) =>
      generateText({ model, prompt: text, providerOptions: { semcache: semcache as never } });
    await call({});
    expect((await call({ bypass: true })).providerMetadata?.semcache).toBeUndefined();
    expect(modelCalls()).toBe(2);
    expect((await call({ refresh: true })).providerMetadata?.semcache).toEqual({ hit: 'miss' });
    expect((await call({})).providerMetadata?.semcache).toMatchObject({ hit: 'exact' });
    expect((await call({ namespace: 'other' })).providerMetadata?.semcache).toEqual({
      hit: 'miss',
    });
    expect((await call({ tenant: 'acme' })).providerMetadata?.semcache).toEqual({ hit: 'miss' });
    expect((await call({}, 'where is the eiffel tower')).providerMetadata?.semcache).toMatchObject({
      hit: 'semantic',
    });
    // 'Where exactly is the Eiffel tower?' scores ~0.79 against the stored question: below the 0.91 default.
    expect(
      (await call({ threshold: 0.75 }, 'Where exactly is the Eiffel tower?')).providerMetadata
        ?.semcache,
    ).toMatchObject({ hit: 'semantic' });
    expect(
      (await call({ bypass: false }, 'Where exactly is the Eiffel tower?')).providerMetadata
        ?.semcache,
    ).toEqual({ hit: 'miss' });
    expect((await call({ ttlSeconds: 60 })).providerMetadata?.semcache).toMatchObject({
      hit: 'exact',
    });
    for (const entry of server.log) expect(entry.rawBody).not.toContain('semcache');
    const invalid = await call({ threshold: 'high' }).catch((e: unknown) => e);
    expect((invalid as Error).message).toMatch(
      /providerOptions\.semcache\.threshold must be a number/,
    );
  });

  test('sampled calls (temperature > 0, no seed) are not cached', async () => {
    const model = cachedModel();
    await generateText({ model, prompt: 'Write a haiku', temperature: 0.9 });
    await generateText({ model, prompt: 'Write a haiku', temperature: 0.9 });
    expect(modelCalls()).toBe(2);
  });
});

describe('semanticCacheMiddleware with streamText', () => {
  test('a stream hit replays the same text, finish reason and usage', async () => {
    const model = cachedModel();
    const first = await streamAll(
      streamText({ model, prompt: 'Explain caching in one sentence.' }),
    );
    const second = await streamAll(
      streamText({ model, prompt: 'Explain caching in one sentence.' }),
    );
    expect(modelCalls()).toBe(1);
    expect(second.text).toBe(first.text);
    expect(second.finishReason).toBe(first.finishReason);
    expect(second.usage.outputTokens).toBe(first.usage.outputTokens);
    expect(first.semcache).toEqual({ hit: 'miss' });
    expect(second.semcache).toMatchObject({ hit: 'exact' });
  });

  test('a streamed tool call replays identically', async () => {
    const model = cachedModel();
    const first = await streamAll(
      streamText({
        model,
        prompt: 'What is the weather in Paris?',
        tools: { weather: weatherTool },
      }),
    );
    const second = await streamAll(
      streamText({
        model,
        prompt: 'What is the weather in Paris?',
        tools: { weather: weatherTool },
      }),
    );
    expect(first.toolCalls).toHaveLength(1);
    expect(second.toolCalls.map(({ toolName, input }) => ({ toolName, input }))).toEqual(
      first.toolCalls.map(({ toolName, input }) => ({ toolName, input })),
    );
    expect(second.finishReason).toBe('tool-calls');
    expect(modelCalls()).toBe(1);
  });

  test('generate and stream answer each other', async () => {
    const model = cachedModel();
    const streamed = await streamAll(streamText({ model, prompt: 'Name three colors.' }));
    const generated = await generateText({ model, prompt: 'Name three colors.' });
    expect(generated.text).toBe(streamed.text);
    const generatedFirst = await generateText({ model, prompt: 'Name three animals.' });
    const streamedSecond = await streamAll(streamText({ model, prompt: 'Name three animals.' }));
    expect(streamedSecond.text).toBe(generatedFirst.text);
    expect(modelCalls()).toBe(2);
  });

  test('paced replay splits text into chunks', async () => {
    const holysheep = createHolySheep({ apiKey: 'test-key', baseURL: server.url });
    const model = wrapLanguageModel({
      model: holysheep('gpt-4.1'),
      middleware: semanticCacheMiddleware({ cache, replay: { chunkDelayMs: 1 } }),
    });
    const first = await streamAll(streamText({ model, prompt: 'Describe the sea.' }));
    const chunks: string[] = [];
    for await (const delta of streamText({ model, prompt: 'Describe the sea.' }).textStream)
      chunks.push(delta);
    expect(chunks.join('')).toBe(first.text);
    expect(chunks.length).toBeGreaterThan(2);
  });

  test('50 concurrent identical streams make one request and all get the full text', async () => {
    const model = cachedModel();
    server.setChunkDelay(5);
    try {
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          streamAll(streamText({ model, prompt: 'Stream me a story.' })),
        ),
      );
      expect(modelCalls()).toBe(1);
      expect(new Set(results.map((r) => r.text)).size).toBe(1);
      expect(results[0]!.text.length).toBeGreaterThan(0);
    } finally {
      server.setChunkDelay(0);
    }
    await streamAll(streamText({ model, prompt: 'Stream me a story.' }));
    expect(modelCalls()).toBe(1);
  });

  test('a stream cut midway is not stored', async () => {
    const model = cachedModel();
    server.cutNextStream({ afterChunks: 2 });
    const result = streamText({
      model,
      prompt: 'A stream that will be cut',
      maxRetries: 0,
      onError: () => {},
    });
    await streamAll(result).catch(() => undefined);
    const again = await streamAll(streamText({ model, prompt: 'A stream that will be cut' }));
    expect(again.semcache).toEqual({ hit: 'miss' });
    expect(modelCalls()).toBe(2);
  });

  test('an aborted stream is not stored', async () => {
    const model = cachedModel();
    server.setChunkDelay(20);
    try {
      const controller = new AbortController();
      const result = streamText({
        model,
        prompt: 'A stream that will be aborted',
        abortSignal: controller.signal,
        onError: () => {},
      });
      for await (const _ of result.textStream) {
        controller.abort();
      }
    } catch {
      // The abort surfaces as an error; that is the consumer's business.
    } finally {
      server.setChunkDelay(0);
    }
    // The cache's pending work includes the abandoned stream: once it settled, nothing was stored.
    await cache.flush();
    const again = await streamAll(streamText({ model, prompt: 'A stream that will be aborted' }));
    expect(again.semcache).toEqual({ hit: 'miss' });
    expect(modelCalls()).toBe(2);
  });

  test('the first of two identical streams aborting does not cut the other: it gets the whole answer, which is stored', async () => {
    const model = cachedModel();
    server.setChunkDelay(10);
    const prompt = 'Two readers, one of them leaves';
    try {
      const controller = new AbortController();
      const leaving = streamText({
        model,
        prompt,
        abortSignal: controller.signal,
        onError: () => {},
      });
      const staying = streamAll(streamText({ model, prompt }));
      try {
        for await (const _ of leaving.textStream) controller.abort();
      } catch {
        // The abort surfaces to the reader that aborted; that is its business.
      }
      const result = await staying;
      expect(result.text.length).toBeGreaterThan(20);
      expect(result.semcache).toEqual({ hit: 'miss', coalesced: true });
    } finally {
      server.setChunkDelay(0);
    }
    await cache.flush();
    expect(modelCalls()).toBe(1);
    expect((await streamAll(streamText({ model, prompt }))).semcache).toMatchObject({
      hit: 'exact',
    });
  });

  test('a failed stream request passes the error through and is not cached', async () => {
    const model = cachedModel();
    server.failNext({ status: 500 });
    let failure: unknown;
    await streamAll(
      streamText({
        model,
        prompt: 'Failing stream',
        maxRetries: 0,
        onError: ({ error }) => {
          failure = error;
        },
      }),
    ).catch(() => undefined);
    expect(APICallError.isInstance(failure)).toBe(true);
    const again = await streamAll(streamText({ model, prompt: 'Failing stream' }));
    expect(again.semcache).toEqual({ hit: 'miss' });
  });
});
