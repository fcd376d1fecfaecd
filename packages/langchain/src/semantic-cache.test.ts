import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import {
  type CacheStore,
  createSemanticCache,
  type FlightCoordinator,
  type JsonValue,
  MemoryStore,
} from '@semcache/core';
import { decodeEntry, encodeEntry } from '@semcache/core/internal';
import { describe, expect, test } from 'vitest';
import { readCacheInfo } from './cache-info.js';
import { cacheStatus, mockChat, useMockServer } from './chat-fixture.test.helper.js';
import { SemanticCache } from './semantic-cache.js';

const server = useMockServer();

/** A store shared by two "processes" (two core caches) with a lease coordinator, as Redis gives. */
function sharedStore(): CacheStore {
  const store = new MemoryStore();
  const leases = new Map<string, (() => void)[]>();
  const coordinator: FlightCoordinator = {
    async tryAcquire(namespace, key) {
      const id = `${namespace}:${key}`;
      if (leases.has(id)) return undefined;
      leases.set(id, []);
      return async () => {
        for (const wake of leases.get(id) ?? []) wake();
        leases.delete(id);
      };
    },
    async waitForRelease(namespace, key, timeoutMs) {
      const waiters = leases.get(`${namespace}:${key}`);
      if (!waiters) return;
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, timeoutMs).unref();
      });
    },
  };
  return {
    name: 'shared',
    coordinator,
    get: (namespace, key) => store.get(namespace, key),
    set: (namespace, record) => store.set(namespace, record),
    delete: (namespace, key) => store.delete(namespace, key),
    search: (namespace, query) => store.search(namespace, query),
    clear: (namespace) => store.clear(namespace),
    close: () => store.close(),
  };
}

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('SemanticCache through ChatOpenAI and HTTP', () => {
  test('a second identical invoke is served from the cache', async () => {
    const cache = new SemanticCache({ cache: createSemanticCache() });
    const llm = mockChat(server(), { cache });
    const first = await llm.invoke('What is the capital of France?');
    const second = await llm.invoke('What is the capital of France?');
    expect(server().requests.chat).toBe(1);
    expect(second.content).toBe(first.content);
    expect(readCacheInfo(first)).toEqual({ hit: 'miss', stored: true });
    expect(readCacheInfo(second)).toMatchObject({ hit: 'exact', similarity: 1 });
  });

  test('a paraphrase is served semantically', async () => {
    const cache = new SemanticCache({ cache: createSemanticCache() });
    const llm = mockChat(server(), { cache });
    const first = await llm.invoke('How do I reset my password?');
    const second = await llm.invoke('how do i reset my password');
    expect(server().requests.chat).toBe(1);
    expect(second.content).toBe(first.content);
    const info = readCacheInfo(second);
    expect(info).toMatchObject({ hit: 'semantic' });
    expect(info?.hit && info.similarity).toBeGreaterThanOrEqual(0.9);
  });

  test('a system prompt and earlier turns are part of the context', async () => {
    const cache = new SemanticCache({ cache: createSemanticCache() });
    const llm = mockChat(server(), { cache });
    await llm.invoke([
      new SystemMessage('Answer in French.'),
      new HumanMessage('How do I reset my password?'),
    ]);
    await llm.invoke([
      new SystemMessage('Answer in German.'),
      new HumanMessage('how do i reset my password'),
    ]);
    await llm.invoke([
      new SystemMessage('Answer in German.'),
      new HumanMessage('How do I reset my password?'),
    ]);
    expect(server().requests.chat).toBe(2);
  });

  test.each([
    ['temperature', { temperature: 0 }, { temperature: 0.7 }],
    ['model', { model: 'gpt-4.1' }, { model: 'gpt-4.1-mini' }],
    ['max tokens', { maxTokens: 200 }, { maxTokens: 20 }],
  ])('a different %s is never served from another entry', async (_name, a, b) => {
    const core = createSemanticCache({ cacheNonDeterministic: true });
    const first = mockChat(server(), { ...a, cache: new SemanticCache({ cache: core }) });
    const second = mockChat(server(), { ...b, cache: new SemanticCache({ cache: core }) });
    await first.invoke('How do I reset my password?');
    const other = await second.invoke('How do I reset my password?');
    await second.invoke('how do i reset my password');
    expect(server().requests.chat).toBe(2);
    expect(readCacheInfo(other)).toMatchObject({ hit: 'miss' });
  });

  test('a different stop sequence is never served from another entry', async () => {
    const cache = new SemanticCache({ cache: createSemanticCache() });
    const llm = mockChat(server(), { cache });
    await llm.invoke('How do I reset my password?', { stop: ['\n'] });
    await llm.invoke('How do I reset my password?', { stop: ['.'] });
    await llm.invoke('how do i reset my password', { stop: ['END'] });
    await llm.invoke('How do I reset my password?');
    expect(server().requests.chat).toBe(4);
    await llm.invoke('How do I reset my password?', { stop: ['.'] });
    expect(server().requests.chat).toBe(4);
  });

  test('a different bound tool set is never served from another entry', async () => {
    const cache = new SemanticCache({ cache: createSemanticCache() });
    const llm = mockChat(server(), { cache });
    const otherTool = {
      ...weatherTool,
      function: { ...weatherTool.function, name: 'get_forecast' },
    };
    const plain = await llm.invoke('What is the weather in Paris?');
    const withWeather = await llm.bindTools([weatherTool]).invoke('What is the weather in Paris?');
    const withForecast = await llm.bindTools([otherTool]).invoke('What is the weather in Paris?');
    expect(server().requests.chat).toBe(3);
    expect(plain.tool_calls ?? []).toHaveLength(0);
    expect(withWeather.tool_calls?.[0]?.name).toBe('get_weather');
    expect(withForecast.tool_calls?.[0]?.name).toBe('get_forecast');
  });

  test('tool calls, content and response metadata round-trip through a hit', async () => {
    const cache = new SemanticCache({ cache: createSemanticCache() });
    const llm = mockChat(server(), { cache }).bindTools([weatherTool]);
    const first = await llm.invoke('What is the weather in Paris?');
    const second = await llm.invoke('What is the weather in Paris?');
    expect(server().requests.chat).toBe(1);
    expect(second.tool_calls).toEqual(first.tool_calls);
    expect(second.content).toEqual(first.content);
    expect(second.response_metadata).toMatchObject({
      finish_reason: 'tool_calls',
      model_name: first.response_metadata.model_name,
    });
    expect(second.usage_metadata).toEqual({ input_tokens: 0, output_tokens: 0, total_tokens: 0 });
  });

  test('a conversation with a tool result is cached as a whole', async () => {
    const cache = new SemanticCache({ cache: createSemanticCache() });
    const llm = mockChat(server(), { cache }).bindTools([weatherTool]);
    const ask = new HumanMessage('What is the weather in Paris?');
    const call = await llm.invoke([ask]);
    const id = call.tool_calls?.[0]?.id ?? 'missing';
    const result = { role: 'tool' as const, content: '22 °C and sunny', tool_call_id: id };
    const answer = await llm.invoke([ask, call, result]);
    const again = await llm.invoke([ask, call, result]);
    const otherResult = await llm.invoke([ask, call, { ...result, content: '5 °C and raining' }]);
    expect(server().requests.chat).toBe(3);
    expect(again.content).toBe(answer.content);
    expect(otherResult.content).not.toBe(answer.content);
  });

  test('hits are fresh objects: mutating one never changes the next', async () => {
    const cache = new SemanticCache({ cache: createSemanticCache() });
    const llm = mockChat(server(), { cache });
    await llm.invoke('What is the capital of France?');
    const hit = await llm.invoke('What is the capital of France?');
    hit.content = 'changed';
    hit.response_metadata.extra = 1;
    const next = await llm.invoke('What is the capital of France?');
    expect(next.content).not.toBe('changed');
    expect(next.response_metadata.extra).toBeUndefined();
  });

  test('instances that differ only in API key share entries; the key never reaches the store', async () => {
    const store = new MemoryStore();
    const core = createSemanticCache({ store });
    const payloads: string[] = [];
    const set = store.set.bind(store);
    store.set = async (namespace, record) => {
      payloads.push(JSON.stringify({ namespace, ...record, index: undefined }));
      return set(namespace, record);
    };
    const a = mockChat(server(), {
      apiKey: 'sk-live-AAAAAAAAAAAAAAAAAAAAAAAA',
      cache: new SemanticCache({ cache: core }),
    });
    const b = mockChat(server(), {
      apiKey: 'sk-live-BBBBBBBBBBBBBBBBBBBBBBBB',
      cache: new SemanticCache({ cache: core }),
    });
    const first = await a.invoke('What is the capital of France?');
    const second = await b.invoke('What is the capital of France?');
    expect(server().requests.chat).toBe(1);
    expect(second.content).toBe(first.content);
    expect(payloads.length).toBeGreaterThan(0);
    for (const payload of payloads) {
      expect(payload).not.toContain('sk-live');
      expect(payload).not.toContain(server().url);
      expect(payload).not.toContain('127.0.0.1');
    }
  });

  test('two tenants never share entries, exact or semantic', async () => {
    const base = new SemanticCache({ cache: createSemanticCache() });
    const acme = mockChat(server(), { cache: base.withOptions({ tenant: 'acme' }) });
    const globex = mockChat(server(), { cache: base.withOptions({ tenant: 'globex' }) });
    await acme.invoke('How do I reset my password?');
    await globex.invoke('How do I reset my password?');
    await globex.invoke('how do i reset my password');
    await acme.invoke('how do i reset my password');
    expect(server().requests.chat).toBe(2);
  });

  test('batch() of 10 identical prompts makes one request', async () => {
    const cache = new SemanticCache({ cache: createSemanticCache() });
    const llm = mockChat(server(), { cache });
    const answers = await llm.batch(
      Array.from({ length: 10 }, () => 'What is the capital of France?'),
    );
    expect(server().requests.chat).toBe(1);
    expect(new Set(answers.map((answer) => answer.content)).size).toBe(1);
    const kinds = answers.map((answer) => cacheStatus(answer));
    expect(kinds.filter((kind) => kind === 'miss')).toHaveLength(1);
    expect(kinds.filter((kind) => kind === 'coalesced')).toHaveLength(9);
  });

  test('concurrent identical invokes make one request; different ones are not held up', async () => {
    server().setLatency(50);
    try {
      const cache = new SemanticCache({ cache: createSemanticCache() });
      const llm = mockChat(server(), { cache });
      await Promise.all([
        ...Array.from({ length: 5 }, () => llm.invoke('What is the capital of France?')),
        llm.invoke('What is the capital of Spain?'),
      ]);
      expect(server().requests.chat).toBe(2);
    } finally {
      server().setLatency(0);
    }
  });

  test('coalesce: false lets concurrent duplicates through', async () => {
    const cache = new SemanticCache({ cache: createSemanticCache(), coalesce: false });
    const llm = mockChat(server(), { cache });
    await llm.batch(Array.from({ length: 3 }, () => 'What is the capital of France?'));
    expect(server().requests.chat).toBe(3);
  });

  test('identical calls in two processes sharing a store make one request', async () => {
    server().setLatency(30);
    try {
      const store = sharedStore();
      const first = mockChat(server(), {
        cache: new SemanticCache({ cache: createSemanticCache({ store }) }),
      });
      const second = mockChat(server(), {
        cache: new SemanticCache({ cache: createSemanticCache({ store }) }),
      });
      const [a, b] = await Promise.all([
        first.invoke('What is the capital of France?'),
        second.invoke('What is the capital of France?'),
      ]);
      expect(server().requests.chat).toBe(1);
      expect(b.content).toBe(a.content);
      expect([cacheStatus(a), cacheStatus(b)].sort()).toEqual(['coalesced', 'miss']);
    } finally {
      server().setLatency(0);
    }
  });

  test('generate() with the same prompt twice does not wait for itself', async () => {
    const cache = new SemanticCache({ cache: createSemanticCache({ coalesceTimeoutMs: 60_000 }) });
    const llm = mockChat(server(), { cache });
    const prompt = [new HumanMessage('What is the capital of France?')];
    const result = await llm.generate([prompt, prompt]);
    expect(result.generations).toHaveLength(2);
    expect(server().requests.chat).toBe(2);
  });

  test('a failed leader releases its waiters at the bound; one of them calls the model', async () => {
    const cache = new SemanticCache({ cache: createSemanticCache({ coalesceTimeoutMs: 200 }) });
    const llm = mockChat(server(), { cache });
    server().failNext({ status: 500 });
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => llm.invoke('What is the capital of France?')),
    );
    expect(results.filter((result) => result.status === 'rejected')).toHaveLength(1);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
    expect(server().requests.chat).toBe(2);
  });

  test('provider errors are passed through and never cached', async () => {
    const cache = new SemanticCache({ cache: createSemanticCache({ coalesceTimeoutMs: 100 }) });
    const llm = mockChat(server(), { cache });
    server().failNext({ status: 429 });
    await expect(llm.invoke('What is the capital of France?')).rejects.toThrow();
    // Without the failure handler the retry waited for the failed call up to the bound.
    const answer = await llm.invoke('What is the capital of France?');
    expect(readCacheInfo(answer)).toMatchObject({ hit: 'miss', stored: true });
    expect(server().requests.chat).toBe(2);
  });

  test('with the failure handler, a retry after a failure does not wait for the failed call', async () => {
    const cache = new SemanticCache({ cache: createSemanticCache({ coalesceTimeoutMs: 60_000 }) });
    const llm = mockChat(server(), { cache, callbacks: [cache.failureHandler] });
    server().failNext({ status: 500 });
    await expect(llm.invoke('What is the capital of France?')).rejects.toThrow();
    const answer = await llm.invoke('What is the capital of France?');
    expect(readCacheInfo(answer)).toMatchObject({ hit: 'miss', stored: true });
  });

  test('with the failure handler, waiters of a failed call are released and one calls the model', async () => {
    server().setLatency(30);
    try {
      const cache = new SemanticCache({
        cache: createSemanticCache({ coalesceTimeoutMs: 60_000 }),
      });
      const llm = mockChat(server(), { cache, callbacks: [cache.failureHandler] });
      server().failNext({ status: 500 });
      const results = await Promise.allSettled(
        Array.from({ length: 4 }, () => llm.invoke('What is the capital of France?')),
      );
      expect(results.filter((result) => result.status === 'rejected')).toHaveLength(1);
      expect(server().requests.chat).toBe(2);
    } finally {
      server().setLatency(0);
    }
  });

  test('truncated answers are returned but not stored', async () => {
    const cache = new SemanticCache({ cache: createSemanticCache() });
    const llm = mockChat(server(), { cache });
    const first = await llm.invoke('Tell me a story [[length]]');
    expect(first.response_metadata.finish_reason).toBe('length');
    expect(readCacheInfo(first)).toEqual({ hit: 'miss', stored: false });
    await llm.invoke('Tell me a story [[length]]');
    expect(server().requests.chat).toBe(2);
  });

  test('temperature > 0 is not cached unless opted in', async () => {
    const llm = mockChat(server(), {
      temperature: 0.8,
      cache: new SemanticCache({ cache: createSemanticCache() }),
    });
    await llm.invoke('What is the capital of France?');
    const again = await llm.invoke('What is the capital of France?');
    expect(server().requests.chat).toBe(2);
    expect(readCacheInfo(again)).toBeUndefined();
  });

  test('streaming: true models share entries with non-streaming ones', async () => {
    const core = createSemanticCache();
    const plain = mockChat(server(), { cache: new SemanticCache({ cache: core }) });
    const streaming = mockChat(server(), {
      streaming: true,
      cache: new SemanticCache({ cache: core }),
    });
    const first = await streaming.invoke('What is the capital of France?');
    const second = await plain.invoke('What is the capital of France?');
    expect(server().requests.chatStream + server().requests.chat).toBe(1);
    expect(second.content).toBe(first.content);
  });

  test('bypass and refresh', async () => {
    const base = new SemanticCache({ cache: createSemanticCache() });
    const llm = mockChat(server(), { cache: base });
    await llm.invoke('What is the capital of France?');
    await mockChat(server(), { cache: base.withOptions({ bypass: true }) }).invoke(
      'What is the capital of France?',
    );
    const refreshed = await mockChat(server(), {
      cache: base.withOptions({ refresh: true }),
    }).invoke('What is the capital of France?');
    expect(readCacheInfo(refreshed)).toMatchObject({ hit: 'miss', stored: true });
    await llm.invoke('What is the capital of France?');
    expect(server().requests.chat).toBe(3);
  });

  test('a corrupt entry value is a miss, not an error', async () => {
    const store = new MemoryStore();
    const core = createSemanticCache({ store });
    const cache = new SemanticCache({ cache: core });
    const llm = mockChat(server(), { cache });
    await llm.invoke('What is the capital of France?');
    // The stored entry is valid for the core but is not a LangChain generation.
    const get = store.get.bind(store);
    store.get = async (namespace, key) => {
      const payload = await get(namespace, key);
      if (payload === undefined) return payload;
      return encodeEntry({ ...decodeEntry(payload), value: { nonsense: true } as JsonValue });
    };
    const errors: string[] = [];
    core.on('error', (event) => errors.push(`${event.operation} ${event.error.code}`));
    const answer = await llm.invoke('What is the capital of France?');
    expect(cacheStatus(answer)).toBe('miss');
    expect(errors).toEqual(['decode CORRUPT_ENTRY']);
  });
});
