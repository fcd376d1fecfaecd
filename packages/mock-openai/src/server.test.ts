import { createServer } from 'node:net';
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { cosineSimilarity } from './embedding.js';
import { type MockOpenAIServer, startMockOpenAI } from './server.js';

type Json = Record<string, unknown>;
interface Completion {
  id: string;
  object: string;
  model: string;
  choices: Array<{
    message: {
      role: string;
      content: string | null;
      reasoning_content?: string;
      tool_calls?: ToolCall[];
    };
    finish_reason: string;
  }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
interface ToolCall {
  index?: number;
  id?: string;
  type?: string;
  function: { name?: string; arguments?: string };
}
interface Chunk {
  object: string;
  choices: Array<{
    delta: {
      role?: string;
      content?: string | null;
      reasoning_content?: string;
      tool_calls?: ToolCall[];
    };
    finish_reason: string | null;
  }>;
  usage?: Completion['usage'];
}

const user = (content: string) => ({ role: 'user', content });
const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string' },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      },
      required: ['city', 'unit'],
      additionalProperties: false,
    },
  },
};

let server: MockOpenAIServer;
const extraServers: MockOpenAIServer[] = [];

async function startExtra(
  options: Parameters<typeof startMockOpenAI>[0],
): Promise<MockOpenAIServer> {
  const extra = await startMockOpenAI(options);
  extraServers.push(extra);
  return extra;
}

function post(path: string, body: unknown, init: { base?: string; headers?: Json } = {}) {
  return fetch(`${init.base ?? server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function chat(body: Json, base?: string): Promise<Completion> {
  const response = await post('/chat/completions', { model: 'gpt-4o-mini', ...body }, { base });
  expect(response.status).toBe(200);
  return (await response.json()) as Completion;
}

/** Reads an SSE response to its end; `done` is whether `[DONE]` arrived. */
async function readSse(response: Response): Promise<{ chunks: Chunk[]; done: boolean }> {
  const text = await response.text();
  const events = text.split('\n\n').filter((event) => event.length > 0);
  expect(events.every((event) => event.startsWith('data: '))).toBe(true);
  const payloads = events.map((event) => event.slice('data: '.length));
  const done = payloads.at(-1) === '[DONE]';
  const chunks = payloads.filter((p) => p !== '[DONE]').map((p) => JSON.parse(p) as Chunk);
  return { chunks, done };
}

async function chatStream(body: Json): Promise<{ chunks: Chunk[]; done: boolean }> {
  const response = await post('/chat/completions', { model: 'gpt-4o-mini', stream: true, ...body });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return readSse(response);
}

const contentOf = (chunks: Chunk[]) =>
  chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');

server = await startMockOpenAI();

beforeEach(() => server.reset());

afterAll(async () => {
  await Promise.all([server, ...extraServers].map((s) => s.close()));
});

describe('startMockOpenAI', () => {
  test('listens on a random 127.0.0.1 port and exposes the /v1 base URL', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/v1`);
    expect(server.port).toBeGreaterThan(0);
  });

  test('answers a non-streaming chat completion', async () => {
    const completion = await chat({ messages: [user('What is 2+2?')] });
    expect(completion).toMatchObject({
      id: expect.stringMatching(/^chatcmpl-\d+$/),
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      created: expect.any(Number),
      choices: [{ index: 0, message: { role: 'assistant' }, finish_reason: 'stop' }],
    });
    expect(completion.choices[0]?.message.content).toMatch(
      /^Mock answer to "What is 2\+2\?" \(model gpt-4o-mini\) \[#[0-9a-f]{8}\]$/,
    );
    const { usage } = completion;
    expect(usage.prompt_tokens).toBeGreaterThan(0);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect(server.requests).toEqual({ chat: 1, chatStream: 0, embeddings: 0, models: 0, total: 1 });
  });

  test('streams a chat completion as ordered SSE chunks ending in [DONE]', async () => {
    const messages = [user('Tell me a joke')];
    const { chunks, done } = await chatStream({
      messages,
      stream_options: { include_usage: true },
    });
    expect(done).toBe(true);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    const contentChunks = chunks.filter((c) => c.choices[0]?.delta.content);
    expect(contentChunks.length).toBeGreaterThanOrEqual(3);
    const finishIndex = chunks.findIndex((c) => c.choices[0]?.finish_reason != null);
    expect(chunks[finishIndex]?.choices[0]?.finish_reason).toBe('stop');
    expect(finishIndex).toBe(chunks.length - 2);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.total_tokens).toBeGreaterThan(0);
    const plain = await chat({ messages });
    expect(contentOf(chunks)).toBe(plain.choices[0]?.message.content);
    expect(last?.usage).toEqual(plain.usage);
    expect(server.requests).toMatchObject({ chat: 1, chatStream: 1, total: 2 });
  });

  test('omits the usage chunk unless include_usage is set', async () => {
    const { chunks, done } = await chatStream({ messages: [user('hi')] });
    expect(done).toBe(true);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.some((c) => c.usage)).toBe(false);
  });

  test('gives the same request the same answer and different requests different ones', async () => {
    const base = {
      messages: [{ role: 'system', content: 'Be brief.' }, user('Capital of France?')],
    };
    const answer = async (body: Json) => (await chat(body)).choices[0]?.message.content;
    const first = await answer(base);
    expect(await answer(base)).toBe(first);
    expect(
      await answer({
        ...base,
        messages: [{ role: 'system', content: 'Be verbose.' }, user('Capital of France?')],
      }),
    ).not.toBe(first);
    expect(await answer({ ...base, temperature: 0.7 })).not.toBe(first);
    expect(await answer({ ...base, tools: [weatherTool] })).not.toBe(first);
    expect(await answer({ ...base, model: 'gpt-4o' })).not.toBe(first);
  });

  test('calls a tool with schema-derived arguments', async () => {
    const completion = await chat({
      messages: [user("What's the weather in Paris?")],
      tools: [weatherTool],
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    const call = choice?.message.tool_calls?.[0];
    expect(call).toMatchObject({
      id: expect.stringMatching(/^call_/),
      type: 'function',
      function: { name: 'get_weather' },
    });
    expect(JSON.parse(call?.function.arguments ?? '')).toEqual({ city: 'Paris', unit: 'celsius' });
  });

  test('streams a tool call as delta.tool_calls pieces', async () => {
    const { chunks, done } = await chatStream({
      messages: [user('weather?')],
      tools: [weatherTool],
      tool_choice: 'required',
    });
    expect(done).toBe(true);
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({
      index: 0,
      id: expect.stringMatching(/^call_/),
      type: 'function',
      function: { name: 'get_weather' },
    });
    expect(calls.length).toBeGreaterThan(2);
    const args = calls.map((c) => c.function.arguments ?? '').join('');
    expect(JSON.parse(args)).toEqual({ city: 'Paris', unit: 'celsius' });
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  test('answers a tool result with a summary', async () => {
    const completion = await chat({
      tools: [weatherTool],
      messages: [
        user('weather in Paris?'),
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe('The tool said: {"temp":21}');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
  });

  test('returns JSON matching a json_schema response format', async () => {
    const schema = {
      type: 'object',
      properties: {
        title: { type: 'string' },
        rating: { type: 'number' },
        tags: { type: 'array', items: { type: 'string' } },
        author: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      },
      required: ['title', 'rating', 'tags', 'author'],
    };
    const completion = await chat({
      messages: [user('Review a book')],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'review', strict: true, schema },
      },
    });
    const value = JSON.parse(completion.choices[0]?.message.content ?? '') as Json;
    expect(value).toEqual({
      title: expect.any(String),
      rating: 42,
      tags: [expect.any(String)],
      author: { name: expect.any(String) },
    });
    const object = await chat({ messages: [user('hi')], response_format: { type: 'json_object' } });
    expect(JSON.parse(object.choices[0]?.message.content ?? '')).toHaveProperty('answer');
  });

  test('includes reasoning, streamed before the content', async () => {
    const completion = await chat({ messages: [user('Think step by step: 17*3?')] });
    expect(completion.choices[0]?.message.reasoning_content).toEqual(expect.any(String));
    const { chunks } = await chatStream({ messages: [user('2+2?')], reasoning_effort: 'high' });
    const kinds = chunks
      .map((c) => c.choices[0]?.delta)
      .map((d) => (d?.reasoning_content ? 'reasoning' : d?.content ? 'content' : undefined))
      .filter(Boolean);
    expect(kinds[0]).toBe('reasoning');
    expect(kinds.lastIndexOf('reasoning')).toBeLessThan(kinds.indexOf('content'));
    const plain = await chat({ messages: [user('hello')] });
    expect(plain.choices[0]?.message).not.toHaveProperty('reasoning_content');
  });

  test('finishes with length when the prompt asks for it', async () => {
    const completion = await chat({ messages: [user('Write an essay [[length]]')] });
    expect(completion.choices[0]?.finish_reason).toBe('length');
  });

  test('waits latencyMs before responding, changeable with setLatency', async () => {
    // Generous margins: a busy machine slows a request, it never makes one early.
    const slow = await startExtra({ latencyMs: 500 });
    let started = performance.now();
    await chat({ messages: [user('hi')] }, slow.url);
    expect(performance.now() - started).toBeGreaterThanOrEqual(490);
    slow.setLatency(0);
    started = performance.now();
    await chat({ messages: [user('hi')] }, slow.url);
    expect(performance.now() - started).toBeLessThan(490);
    expect(() => slow.setLatency(-1)).toThrow(RangeError);
  });

  test('waits chunkDelayMs between stream chunks', async () => {
    const slow = await startExtra({ chunkDelayMs: 5 });
    const started = performance.now();
    const response = await post(
      '/chat/completions',
      { model: 'm', stream: true, messages: [user('a b c')] },
      { base: slow.url },
    );
    const { chunks } = await readSse(response);
    expect(performance.now() - started).toBeGreaterThanOrEqual(5 * chunks.length - 5);
  });

  test.each([
    [401, 'invalid_api_key'],
    [429, 'rate_limit_exceeded'],
    [500, 'server_error'],
  ] as const)('failNext(%i) fails the next request, then recovers', async (status, code) => {
    server.failNext({ status, count: 2 });
    for (let i = 0; i < 2; i++) {
      const response = await post('/chat/completions', { model: 'm', messages: [user('hi')] });
      expect(response.status).toBe(status);
      const body = (await response.json()) as {
        error: { message: string; type: string; code: string };
      };
      expect(body.error).toMatchObject({
        message: expect.any(String),
        type: expect.any(String),
        code,
      });
      expect(response.headers.has('retry-after')).toBe(status === 429);
    }
    await chat({ messages: [user('hi')] });
    expect(server.requests).toMatchObject({ chat: 3, total: 3 });
  });

  test('failNext applies to streaming and embeddings requests and honours retryAfterMs', async () => {
    server.failNext({ status: 429, retryAfterMs: 1500, message: 'slow down' });
    server.failNext({ status: 500 });
    const limited = await post('/chat/completions', {
      model: 'm',
      stream: true,
      messages: [user('hi')],
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.headers.get('retry-after-ms')).toBe('1500');
    expect(((await limited.json()) as { error: { message: string } }).error.message).toBe(
      'slow down',
    );
    expect((await post('/embeddings', { model: 'e', input: 'x' })).status).toBe(500);
    expect((await post('/embeddings', { model: 'e', input: 'x' })).status).toBe(200);
    expect(server.requests).toMatchObject({ chatStream: 1, embeddings: 2, total: 3 });
  });

  test('cutNextStream ends the stream midway and the server keeps serving', async () => {
    server.cutNextStream({ afterChunks: 2 });
    const response = await post('/chat/completions', {
      model: 'm',
      stream: true,
      messages: [user('one two three four')],
    });
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    const decoder = new TextDecoder();
    let received = '';
    await expect(
      (async () => {
        for (;;) {
          const chunk = await reader?.read();
          if (!chunk || chunk.done) return;
          received += decoder.decode(chunk.value, { stream: true });
        }
      })(),
    ).rejects.toThrow();
    const events = received.split('\n\n').filter(Boolean);
    expect(events).toHaveLength(3);
    expect(received).not.toContain('[DONE]');
    expect(received).not.toContain('finish_reason":"stop"');
    const { done } = await chatStream({ messages: [user('again')] });
    expect(done).toBe(true);
  });

  test('survives a client aborting mid-stream', async () => {
    const slow = await startExtra({ chunkDelayMs: 20 });
    const controller = new AbortController();
    const response = await fetch(`${slow.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', stream: true, messages: [user('a b c d e f')] }),
      signal: controller.signal,
    });
    await response.body?.getReader().read();
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 30));
    slow.setChunkDelay(0);
    await chat({ messages: [user('still there?')] }, slow.url);
  });

  test('enforces apiKey on every endpoint', async () => {
    const secured = await startExtra({ apiKey: 'sk-test' });
    const models = (headers: Record<string, string>) => fetch(`${secured.url}/models`, { headers });
    expect((await models({})).status).toBe(401);
    expect((await models({ authorization: 'Bearer nope' })).status).toBe(401);
    expect((await models({ authorization: 'Bearer sk-test' })).status).toBe(200);
    const denied = await post(
      '/chat/completions',
      { model: 'm', messages: [user('hi')] },
      { base: secured.url },
    );
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe(
      'invalid_api_key',
    );
    const allowed = await post(
      '/embeddings',
      { model: 'e', input: 'x' },
      { base: secured.url, headers: { authorization: 'Bearer sk-test' } },
    );
    expect(allowed.status).toBe(200);
    expect(secured.requests).toMatchObject({ chat: 1, embeddings: 1, models: 3, total: 5 });
  });

  test('returns deterministic, similarity-preserving embeddings', async () => {
    const embed = async (input: unknown, extra: Json = {}) => {
      const response = await post('/embeddings', {
        model: 'text-embedding-3-small',
        input,
        ...extra,
      });
      expect(response.status).toBe(200);
      return (await response.json()) as {
        object: string;
        data: Array<{ object: string; index: number; embedding: number[] }>;
        usage: { prompt_tokens: number };
      };
    };
    const texts = [
      'What is the capital of France?',
      'what is the capital of france',
      'Best pizza dough recipe',
    ];
    const result = await embed(texts);
    expect(result.object).toBe('list');
    expect(result.data.map((d) => d.index)).toEqual([0, 1, 2]);
    const [a, near, far] = result.data.map((d) => d.embedding);
    expect(a).toHaveLength(64);
    expect((await embed(texts[0])).data[0]?.embedding).toEqual(a);
    expect(cosineSimilarity(a ?? [], near ?? [])).toBeGreaterThan(0.85);
    expect(cosineSimilarity(a ?? [], far ?? [])).toBeLessThan(0.5);
    expect((await embed('x', { dimensions: 8 })).data[0]?.embedding).toHaveLength(8);
    expect(server.requests.embeddings).toBe(3);
  });

  test('lists models', async () => {
    const response = await fetch(`${server.url}/models`);
    const list = (await response.json()) as { object: string; data: Array<{ id: string }> };
    expect(list.object).toBe('list');
    expect(list.data.length).toBeGreaterThan(0);
  });

  test('answers unknown routes with 404 and bad bodies with 400', async () => {
    const notFound = await fetch(`${server.url}/nope`);
    expect(notFound.status).toBe(404);
    expect(((await notFound.json()) as { error: { message: string } }).error.message).toContain(
      '/v1/nope',
    );
    expect((await fetch(`${server.url}/chat/completions`)).status).toBe(404);
    const malformed = await post('/chat/completions', '{"model": ');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { type: string } }).error.type).toBe(
      'invalid_request_error',
    );
    expect((await post('/chat/completions', { model: 'm' })).status).toBe(400);
    expect((await post('/chat/completions', '[1,2]')).status).toBe(400);
    expect((await post('/embeddings', '')).status).toBe(400);
    expect((await post('/embeddings', { model: 'm', input: 7 })).status).toBe(400);
    await chat({ messages: [user('still fine')] });
    expect(server.requests.total).toBe(8);
  });

  test('logs request bodies, paths and headers, and reset clears them', async () => {
    await post(
      '/chat/completions',
      { model: 'm', temperature: 0.2, messages: [user('logged')] },
      { headers: { 'x-trace': 't1' } },
    );
    await fetch(`${server.url}/models?limit=1`);
    const [first, second] = server.log;
    expect(first).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      body: { temperature: 0.2 },
    });
    expect(first?.headers['x-trace']).toBe('t1');
    expect(second).toMatchObject({
      method: 'GET',
      path: '/v1/models',
      body: undefined,
      rawBody: '',
    });
    server.failNext({ status: 500 });
    server.reset();
    expect(server.log).toEqual([]);
    expect(server.requests.total).toBe(0);
    await chat({ messages: [user('not failed')] });
  });

  test('close() frees the port and is idempotent', async () => {
    const temporary = await startMockOpenAI();
    const { port } = temporary;
    await Promise.all([temporary.close(), temporary.close()]);
    await expect(fetch(`${temporary.url}/models`)).rejects.toThrow();
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => probe.close(resolve));
  });
});
