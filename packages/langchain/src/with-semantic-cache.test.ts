import type { AIMessageChunk } from '@langchain/core/messages';
import { concat } from '@langchain/core/utils/stream';
import { createSemanticCache } from '@semcache/core';
import { describe, expect, test } from 'vitest';
import { readCacheInfo } from './cache-info.js';
import { cacheStatus, mockChat, useMockServer } from './chat-fixture.test.helper.js';
import { SemanticCache } from './semantic-cache.js';
import { withSemanticCache } from './with-semantic-cache.js';

const server = useMockServer();

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

async function collect(
  stream: AsyncIterable<AIMessageChunk>,
): Promise<{ chunks: AIMessageChunk[]; message: AIMessageChunk }> {
  const chunks: AIMessageChunk[] = [];
  let message: AIMessageChunk | undefined;
  for await (const chunk of stream) {
    chunks.push(chunk);
    message = message === undefined ? chunk : concat(message, chunk);
  }
  if (!message) throw new Error('empty stream');
  return { chunks, message };
}

describe('withSemanticCache through ChatOpenAI and HTTP', () => {
  test('a second stream is served from the cache with the same text', async () => {
    const llm = withSemanticCache(mockChat(server()), { cache: createSemanticCache() });
    const first = await collect(await llm.stream('What is the capital of France?'));
    const second = await collect(await llm.stream('What is the capital of France?'));
    expect(server().requests.chatStream).toBe(1);
    expect(server().requests.chat).toBe(0);
    expect(second.message.text).toBe(first.message.text);
    expect(first.message.text.length).toBeGreaterThan(0);
    expect(second.chunks.length).toBeGreaterThan(2);
    expect(readCacheInfo(first.message)).toEqual({ hit: 'miss', stored: true });
    expect(readCacheInfo(second.message)).toMatchObject({
      hit: 'exact',
      similarity: 1,
    });
    expect(second.message.usage_metadata).toMatchObject({
      input_tokens: 0,
      output_tokens: 0,
      total_tokens: 0,
    });
  });

  test('a paraphrase is streamed from the cache semantically', async () => {
    const llm = withSemanticCache(mockChat(server()), { cache: createSemanticCache() });
    const first = await collect(await llm.stream('How do I reset my password?'));
    const second = await collect(await llm.stream('how do i reset my password'));
    expect(server().requests.chatStream).toBe(1);
    expect(second.message.text).toBe(first.message.text);
    expect(readCacheInfo(second.message)).toMatchObject({ hit: 'semantic' });
  });

  test('streams and invokes share entries, also with the plain SemanticCache', async () => {
    const core = createSemanticCache();
    const plain = mockChat(server(), { cache: new SemanticCache({ cache: core }) });
    const wrapped = withSemanticCache(mockChat(server()), { cache: core });
    const invoked = await plain.invoke('What is the capital of France?');
    const streamed = await collect(await wrapped.stream('What is the capital of France?'));
    const streamedFirst = await collect(await wrapped.stream('What is the capital of Spain?'));
    const invokedAfter = await plain.invoke('What is the capital of Spain?');
    const wrappedInvoke = await wrapped.invoke('What is the capital of Spain?');
    expect(server().requests.chat + server().requests.chatStream).toBe(2);
    expect(streamed.message.text).toBe(invoked.text);
    expect(invokedAfter.text).toBe(streamedFirst.message.text);
    expect(wrappedInvoke.text).toBe(streamedFirst.message.text);
  });

  test('tool calls are replayed by a cached stream', async () => {
    const llm = withSemanticCache(mockChat(server()), { cache: createSemanticCache() }).bindTools([
      weatherTool,
    ]);
    const first = await collect(await llm.stream('What is the weather in Paris?'));
    const second = await collect(await llm.stream('What is the weather in Paris?'));
    expect(server().requests.chatStream).toBe(1);
    expect(first.message.tool_calls?.[0]?.name).toBe('get_weather');
    expect(second.message.tool_calls).toEqual(first.message.tool_calls);
    expect(second.message.response_metadata.finish_reason).toBe('tool_calls');
  });

  test('identical streams running at the same time share one model call', async () => {
    server().setLatency(50);
    server().setChunkDelay(5);
    try {
      const llm = withSemanticCache(mockChat(server()), { cache: createSemanticCache() });
      const results = await Promise.all(
        Array.from({ length: 3 }, async () =>
          collect(await llm.stream('What is the capital of France?')),
        ),
      );
      expect(server().requests.chatStream).toBe(1);
      expect(new Set(results.map((result) => result.message.text)).size).toBe(1);
      const kinds = results.map((result) => cacheStatus(result.message)).sort();
      expect(kinds).toEqual(['coalesced', 'coalesced', 'miss']);
    } finally {
      server().setLatency(0);
      server().setChunkDelay(0);
    }
  });

  test('a stream cut by the network is passed on as an error and not stored', async () => {
    const llm = withSemanticCache(mockChat(server()), { cache: createSemanticCache() });
    server().cutNextStream({ afterChunks: 2 });
    await expect(collect(await llm.stream('What is the capital of France?'))).rejects.toThrow();
    const again = await collect(await llm.stream('What is the capital of France?'));
    expect(server().requests.chatStream).toBe(2);
    expect(readCacheInfo(again.message)).toMatchObject({ hit: 'miss', stored: true });
  });

  test('a stream its reader abandons is not stored', async () => {
    server().setChunkDelay(5);
    try {
      const llm = withSemanticCache(mockChat(server()), { cache: createSemanticCache() });
      for await (const _chunk of await llm.stream('Tell me about the capital of France')) break;
      const again = await collect(await llm.stream('Tell me about the capital of France'));
      expect(server().requests.chatStream).toBe(2);
      expect(cacheStatus(again.message)).toBe('miss');
    } finally {
      server().setChunkDelay(0);
    }
  });

  test('batch() of 10 identical prompts through the wrapper makes one request', async () => {
    const llm = withSemanticCache(mockChat(server()), { cache: createSemanticCache() });
    const answers = await llm.batch(
      Array.from({ length: 10 }, () => 'What is the capital of France?'),
    );
    expect(server().requests.chat).toBe(1);
    expect(new Set(answers.map((answer) => answer.text)).size).toBe(1);
    expect(answers.filter((answer) => cacheStatus(answer) === 'coalesced')).toHaveLength(9);
  });

  test('coalesce: false calls the model for each concurrent duplicate but still caches', async () => {
    const llm = withSemanticCache(mockChat(server()), {
      cache: createSemanticCache(),
      coalesce: false,
    });
    await llm.batch(Array.from({ length: 3 }, () => 'What is the capital of France?'));
    const later = await llm.invoke('What is the capital of France?');
    expect(server().requests.chat).toBe(3);
    expect(readCacheInfo(later)).toMatchObject({ hit: 'exact' });
  });

  test('different temperature or stop never share a streamed entry', async () => {
    const core = createSemanticCache({ cacheNonDeterministic: true });
    const cold = withSemanticCache(mockChat(server(), { temperature: 0 }), { cache: core });
    const warm = withSemanticCache(mockChat(server(), { temperature: 0.9 }), { cache: core });
    await collect(await cold.stream('What is the capital of France?'));
    await collect(await warm.stream('What is the capital of France?'));
    await collect(await cold.stream('What is the capital of France?', { stop: ['.'] }));
    expect(server().requests.chatStream).toBe(3);
  });

  test('tenants never share streamed entries', async () => {
    const core = createSemanticCache();
    const acme = withSemanticCache(mockChat(server()), { cache: core, tenant: 'acme' });
    const globex = withSemanticCache(mockChat(server()), { cache: core, tenant: 'globex' });
    await collect(await acme.stream('What is the capital of France?'));
    await collect(await globex.stream('What is the capital of France?'));
    expect(server().requests.chatStream).toBe(2);
  });

  test('refuses what is not a chat model', () => {
    const notAModel = mockChat(server()).pipe((message) => message);
    expect(() =>
      withSemanticCache(notAModel as unknown as Parameters<typeof withSemanticCache>[0], {
        cache: createSemanticCache(),
      }),
    ).toThrow(/chat model/);
  });
});
