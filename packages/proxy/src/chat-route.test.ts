import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  ask,
  closedPort,
  type ProxyFixture,
  sseData,
  startFixture,
  streamedText,
  until,
} from './proxy-fixture.test.helper.js';

let f: ProxyFixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(async () => f.close());
afterEach(() => {
  f.mock.reset();
  f.mock.setChunkDelay(0);
  f.mock.setLatency(0);
});

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather of a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    },
  },
} as const;

describe('JSON chat completions through the official openai client', () => {
  test('a repeat is an exact hit, a rewording a semantic hit; the upstream is called once', async () => {
    const openai = f.openai();
    const question = 'What is the capital of France in the openai JSON test?';
    const first = await openai.chat.completions
      .create({ model: 'gpt-4.1', messages: [{ role: 'user', content: question }] })
      .withResponse();
    const again = await openai.chat.completions
      .create({ model: 'gpt-4.1', messages: [{ role: 'user', content: question }] })
      .withResponse();
    const reworded = await openai.chat.completions
      .create({
        model: 'gpt-4.1',
        messages: [
          { role: 'user', content: 'what is the capital of france in the openai json test' },
        ],
      })
      .withResponse();
    expect(first.response.headers.get('x-semcache')).toBe('miss');
    expect(again.response.headers.get('x-semcache')).toBe('exact');
    expect(again.response.headers.get('x-semcache-similarity')).toBe('1.0000');
    expect(Number(again.response.headers.get('x-semcache-age-ms'))).toBeGreaterThanOrEqual(0);
    expect(reworded.response.headers.get('x-semcache')).toBe('semantic');
    const similarity = Number(reworded.response.headers.get('x-semcache-similarity'));
    expect(similarity).toBeGreaterThan(0.9);
    expect(similarity).toBeLessThanOrEqual(1);
    expect(again.data.choices[0]?.message.content).toBe(first.data.choices[0]?.message.content);
    expect(reworded.data.choices[0]?.message.content).toBe(first.data.choices[0]?.message.content);
    expect(again.data.usage).toEqual(first.data.usage);
    expect(f.mock.requests.chat).toBe(1);
  });

  test('everything that shapes the answer is keyed; volatile fields are not', async () => {
    const base = ask('Keyed fields question?', { temperature: 0 });
    expect((await f.chat(base)).headers.get('x-semcache')).toBe('miss');
    const volatile = {
      ...base,
      user: 'end-user-42',
      metadata: { trace: 'abc' },
      store: false,
      stream_options: null,
      n: 1,
    };
    expect((await f.chat(volatile, { 'x-request-id': 'r-1' })).headers.get('x-semcache')).toBe(
      'exact',
    );
    const shaping: Record<string, unknown>[] = [
      { model: 'gpt-4.1-mini' },
      { temperature: 0, seed: 7 },
      { top_p: 0.5 },
      { max_tokens: 20 },
      { max_completion_tokens: 20 },
      { stop: ['\n'] },
      { presence_penalty: 0.5 },
      { frequency_penalty: 0.5 },
      { reasoning_effort: 'low' },
      { response_format: { type: 'json_object' } },
      { tools: [weatherTool] },
      { tools: [weatherTool], tool_choice: 'none' },
      { logit_bias: { '50256': -100 } },
      { some_future_field: true },
      { messages: [{ role: 'system', content: 'Be terse.' }, ...(base.messages as unknown[])] },
      { messages: [{ role: 'user', content: 'Keyed fields question?', name: 'alice' }] },
    ];
    for (const change of shaping) {
      const response = await f.chat({ ...base, ...change });
      expect({ change, outcome: response.headers.get('x-semcache') }).toEqual({
        change,
        outcome: 'miss',
      });
      await response.arrayBuffer();
    }
  });

  test('tool calls and their finish reason come back the same from the cache', async () => {
    const openai = f.openai();
    const params = {
      model: 'gpt-4.1',
      messages: [{ role: 'user' as const, content: 'What is the weather in Paris (tool test)?' }],
      tools: [weatherTool],
    };
    const first = await openai.chat.completions.create(params);
    const again = await openai.chat.completions.create(params).withResponse();
    expect(again.response.headers.get('x-semcache')).toBe('exact');
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(again.data.choices[0]?.finish_reason).toBe('tool_calls');
    expect(again.data.choices[0]?.message.tool_calls).toEqual(first.choices[0]?.message.tool_calls);
    const call = again.data.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && JSON.parse(call.function.arguments).city).toBe('Paris');
  });

  test('a conversation with a tool result is keyed by its calls, not by the random call ids', async () => {
    const conversation = (id: string) =>
      ask('', {
        messages: [
          { role: 'user', content: 'Weather in Paris, tool conversation?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id,
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: id, content: 'Sunny, 21 °C' },
        ],
        tools: [weatherTool],
      });
    const first = await f.chat(conversation('call_abc'));
    const again = await f.chat(conversation('call_xyz'));
    expect(first.headers.get('x-semcache')).toBe('miss');
    expect(again.headers.get('x-semcache')).toBe('exact');
    const body = (await again.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toContain('The tool said: Sunny');
  });

  test('an answer cut at the length limit is passed on but not stored', async () => {
    const body = ask('Stop early [[length]] please');
    const first = await f.chat(body);
    expect(
      ((await first.json()) as { choices: { finish_reason: string }[] }).choices[0]?.finish_reason,
    ).toBe('length');
    await f.running.proxy.cache.flush();
    expect((await f.chat(body)).headers.get('x-semcache')).toBe('miss');
    expect(f.mock.requests.chat).toBe(2);
  });
});

describe('streaming through the official openai client', () => {
  test('a stream hit replays the original text, with role, finish and usage chunks', async () => {
    const openai = f.openai();
    const params = {
      model: 'gpt-4.1',
      messages: [{ role: 'user' as const, content: 'Explain caching in one line (stream test).' }],
      stream: true as const,
      stream_options: { include_usage: true },
    };
    const read = async () => {
      const { data, response } = await openai.chat.completions.create(params).withResponse();
      const chunks = [];
      for await (const chunk of data) chunks.push(chunk);
      return { chunks, outcome: response.headers.get('x-semcache') };
    };
    const live = await read();
    const replayed = await read();
    expect(live.outcome).toBe('miss');
    expect(replayed.outcome).toBe('exact');
    const text = (chunks: typeof live.chunks) =>
      chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('');
    expect(text(replayed.chunks)).toBe(text(live.chunks));
    expect(text(live.chunks)).toMatch(/^Mock answer to "Explain caching/);
    for (const { chunks } of [live, replayed]) {
      expect(chunks[0]?.choices[0]?.delta?.role).toBe('assistant');
      expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
      expect(chunks.at(-1)?.choices).toEqual([]);
      expect(chunks.at(-1)?.object).toBe('chat.completion.chunk');
    }
    expect(replayed.chunks.at(-1)?.usage).toEqual(live.chunks.at(-1)?.usage);
    expect(f.mock.requests.chatStream).toBe(1);
  });

  test('streamed tool calls replay as tool-call deltas with their finish reason', async () => {
    const body = ask('Weather in Paris, streamed tool test?', {
      tools: [weatherTool],
      stream: true,
    });
    const live = await (await f.chat(body)).text();
    const replayed = await f.chat(body);
    expect(replayed.headers.get('x-semcache')).toBe('exact');
    const merged = (text: string) => {
      const args: string[] = [];
      let finish: string | undefined;
      let name: string | undefined;
      for (const data of sseData(text)) {
        if (data === '[DONE]') continue;
        const choice = JSON.parse(data).choices[0];
        const call = choice?.delta?.tool_calls?.[0];
        if (call?.function?.name) name = call.function.name;
        if (call?.function?.arguments) args.push(call.function.arguments);
        if (choice?.finish_reason) finish = choice.finish_reason;
      }
      return { name, args: args.join(''), finish };
    };
    const replayedText = await replayed.text();
    expect(merged(replayedText)).toEqual(merged(live));
    expect(merged(live)).toMatchObject({ name: 'get_weather', finish: 'tool_calls' });
    expect(sseData(replayedText).at(-1)).toBe('[DONE]');
  });

  test('no usage chunk unless the client asks for it, though the upstream is always asked', async () => {
    const body = ask('Usage chunk question?', { stream: true });
    const live = await (await f.chat(body)).text();
    expect(f.mock.log[0]?.body?.stream_options).toEqual({ include_usage: true });
    const replayed = await (await f.chat(body)).text();
    for (const text of [live, replayed]) {
      const chunks = sseData(text)
        .filter((d) => d !== '[DONE]')
        .map((d) => JSON.parse(d));
      expect(chunks.every((chunk) => chunk.choices.length === 1)).toBe(true);
    }
    const withUsage = await (
      await f.chat({ ...body, stream_options: { include_usage: true } })
    ).text();
    const last = JSON.parse(sseData(withUsage).at(-2) as string);
    expect(last.usage.total_tokens).toBeGreaterThan(0);
  });

  test('a JSON request is answered from a stored stream, and a stream from a stored JSON answer', async () => {
    const streamed = ask('Stream first, then JSON?', { stream: true });
    const liveText = streamedText(await (await f.chat(streamed)).text());
    const fromStream = await f.chat({ ...streamed, stream: false });
    expect(fromStream.headers.get('x-semcache')).toBe('exact');
    const json = (await fromStream.json()) as {
      object: string;
      choices: { message: { content: string } }[];
    };
    expect(json.object).toBe('chat.completion');
    expect(json.choices[0]?.message.content).toBe(liveText);

    const plain = ask('JSON first, then a stream?');
    const original = (await (await f.chat(plain)).json()) as {
      choices: { message: { content: string } }[];
    };
    const asStream = await f.chat({ ...plain, stream: true });
    expect(asStream.headers.get('x-semcache')).toBe('exact');
    expect(asStream.headers.get('content-type')).toContain('text/event-stream');
    expect(streamedText(await asStream.text())).toBe(original.choices[0]?.message.content);
    expect(f.mock.requests.total).toBe(2);
  });

  test('50 concurrent identical streams make one upstream call, and every reader gets the whole text', async () => {
    f.mock.setChunkDelay(5);
    const body = ask('Fifty readers of one stream?', { stream: true });
    const responses = await Promise.all(Array.from({ length: 50 }, () => f.chat(body)));
    const texts = await Promise.all(responses.map(async (r) => streamedText(await r.text())));
    expect(f.mock.requests.chatStream).toBe(1);
    expect(new Set(texts).size).toBe(1);
    expect(texts[0]).toMatch(/^Mock answer to "Fifty readers/);
    const outcomes = responses.map((r) => r.headers.get('x-semcache'));
    expect(outcomes.every((o) => o === 'miss' || o === 'exact')).toBe(true);
    expect(
      responses.filter((r) => r.headers.get('x-semcache-coalesced') === 'true').length,
    ).toBeGreaterThan(0);
  });

  test('concurrent identical JSON requests make one upstream call', async () => {
    f.mock.setLatency(30);
    const body = ask('Twenty identical JSON requests?');
    const responses = await Promise.all(Array.from({ length: 20 }, () => f.chat(body)));
    const contents = await Promise.all(
      responses.map(
        async (r) =>
          ((await r.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message
            .content,
      ),
    );
    expect(f.mock.requests.chat).toBe(1);
    expect(new Set(contents).size).toBe(1);
  });
});

describe('per-request control headers', () => {
  test('Cache-Control: no-store goes around the cache; no-cache refreshes the entry', async () => {
    const body = ask('Control header question?');
    expect((await f.chat(body)).headers.get('x-semcache')).toBe('miss');
    const bypass = await f.chat(body, { 'cache-control': 'no-store' });
    expect(bypass.headers.get('x-semcache')).toBe('bypass');
    const refreshed = await f.chat(body, { 'cache-control': 'no-cache' });
    expect(refreshed.headers.get('x-semcache')).toBe('miss');
    expect((await f.chat(body)).headers.get('x-semcache')).toBe('exact');
    expect(f.mock.requests.chat).toBe(3);
    expect(f.mock.log.some((entry) => 'cache-control' in entry.headers)).toBe(false);
  });

  test('a bypassed stream passes through as the upstream sent it', async () => {
    const response = await f.chat(ask('Bypassed stream?', { stream: true }), {
      'cache-control': 'no-store',
    });
    expect(response.headers.get('x-semcache')).toBe('bypass');
    const text = await response.text();
    expect(streamedText(text)).toMatch(/^Mock answer/);
    expect(f.mock.log[0]?.body?.stream_options).toBeUndefined();
  });

  test('x-semcache-namespace separates entries; x-semcache-ttl sets their lifetime', async () => {
    const body = ask('Namespace question?');
    await f.chat(body, { 'x-semcache-namespace': 'team-a', 'x-semcache-ttl': '1' });
    expect(
      (await f.chat(body, { 'x-semcache-namespace': 'team-a' })).headers.get('x-semcache'),
    ).toBe('exact');
    expect(
      (await f.chat(body, { 'x-semcache-namespace': 'team-b' })).headers.get('x-semcache'),
    ).toBe('miss');
    expect((await f.chat(body)).headers.get('x-semcache')).toBe('miss');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(
      (await f.chat(body, { 'x-semcache-namespace': 'team-a' })).headers.get('x-semcache'),
    ).toBe('miss');
  });

  test.each([
    ['x-semcache-ttl', 'soon'],
    ['x-semcache-ttl', '0'],
    ['x-semcache-ttl', '-5'],
    ['x-semcache-namespace', 'has space'],
    ['x-semcache-namespace', 'x'.repeat(65)],
  ])('%s: %s is a 400 with an OpenAI-style error', async (header, value) => {
    const response = await f.chat(ask('Bad header?'), { [header]: value });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { param: string; type: string } };
    expect(body.error).toMatchObject({ param: header, type: 'invalid_request_error' });
    expect(f.mock.requests.total).toBe(0);
  });
});

describe('upstream errors', () => {
  test.each([401, 429, 500] as const)(
    '%i passes through with its body and is never cached',
    async (status) => {
      const body = ask(`Fail with ${status}?`);
      f.mock.failNext({ status });
      const failed = await f.chat(body);
      expect(failed.status).toBe(status);
      expect(failed.headers.get('x-semcache')).toBe('miss');
      const error = (await failed.json()) as { error: { message: string } };
      expect(error.error.message.length).toBeGreaterThan(0);
      if (status === 429) expect(failed.headers.get('retry-after-ms')).toBe('0');
      const retried = await f.chat(body);
      expect(retried.status).toBe(200);
      expect(retried.headers.get('x-semcache')).toBe('miss');
      expect(f.mock.requests.chat).toBe(2);
    },
  );

  test('a failing stream start passes the status through to the stream client', async () => {
    f.mock.failNext({ status: 500 });
    const failed = await f.chat(ask('Stream fails at start?', { stream: true }));
    expect(failed.status).toBe(500);
    expect(((await failed.json()) as { error: unknown }).error).toBeDefined();
  });

  test('through the openai client, a 429 surfaces as its RateLimitError', async () => {
    f.mock.failNext({ status: 429 });
    await expect(
      f.openai().chat.completions.create({
        model: 'gpt-4.1',
        messages: [{ role: 'user', content: 'Rate limited?' }],
      }),
    ).rejects.toMatchObject({ status: 429 });
  });

  test('an upstream that is down gives 502 with an OpenAI-style body', async () => {
    const down = await startFixture({ upstream: `http://127.0.0.1:${await closedPort()}/v1` });
    try {
      for (const stream of [false, true]) {
        const response = await down.chat(ask('Is anyone there?', { stream }));
        expect(response.status).toBe(502);
        const body = (await response.json()) as { error: { code: string; type: string } };
        expect(body.error).toMatchObject({ code: 'upstream_unreachable', type: 'upstream_error' });
      }
      expect((await fetch(`${down.url}/models`)).status).toBe(502);
    } finally {
      await down.close();
    }
  });

  test('a stream the upstream cuts is cut for the client too and not stored', async () => {
    f.mock.cutNextStream({ afterChunks: 2 });
    f.mock.cutNextStream({ afterChunks: 2 });
    const body = ask('Cut me off mid-stream please, upstream?', { stream: true });
    const cut = sseData(await (await f.chat(body)).text());
    expect(cut).not.toContain('[DONE]');
    expect(JSON.parse(cut.at(-1) as string).error.code).toBe('upstream_stream_cut');
    await expect(
      (async () => {
        const stream = await f.openai().chat.completions.create({
          model: 'gpt-4.1',
          messages: [{ role: 'user', content: 'Cut me off mid-stream please, upstream?' }],
          stream: true,
        });
        for await (const _chunk of stream) {
          // read to the end
        }
      })(),
    ).rejects.toThrow(/broke off/);
    await f.running.proxy.cache.flush();
    const again = await f.chat(body);
    expect(again.headers.get('x-semcache')).toBe('miss');
    expect(streamedText(await again.text())).toMatch(/^Mock answer/);
  });
});

/** Reads a streamed chat response until `events` SSE events arrived, then drops the connection. */
function readThenDisconnect(url: string, body: unknown, events: number): Promise<void> {
  const { port } = new URL(url);
  return new Promise<void>((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/chat/completions',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let seen = 0;
        res.on('data', (chunk: Buffer) => {
          seen += chunk.toString().split('data: ').length - 1;
          if (seen >= events) {
            req.destroy();
            resolve();
          }
        });
        res.on('error', () => {});
      },
    );
    req.once('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('a client that disconnects mid-stream', () => {
  test('cancels the upstream stream once no reader is left', async () => {
    // An upstream that streams slowly and notes whether its client hung up before the end.
    let hungUp = false;
    const slow = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const timer = setInterval(() => {
        const chunk = {
          id: 'c',
          object: 'chat.completion.chunk',
          created: 1,
          model: 'm',
          choices: [{ index: 0, delta: { content: `w${i} ` }, finish_reason: null }],
        };
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        if (++i === 500) {
          clearInterval(timer);
          res.end('data: [DONE]\n\n');
        }
      }, 10);
      res.on('close', () => {
        clearInterval(timer);
        if (i < 500) hungUp = true;
      });
      req.resume();
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const upstream = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/v1`;
    const proxied = await startFixture({ upstream });
    try {
      await readThenDisconnect(proxied.url, ask('Slow stream?', { stream: true }), 3);
      await until(() => hungUp);
      expect(hungUp).toBe(true);
    } finally {
      await proxied.close();
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  test('leaves no partial entry, and the upstream stream is cancelled', async () => {
    f.mock.setChunkDelay(20);
    const body = JSON.stringify(
      ask('Disconnect halfway through this answer, please?', { stream: true }),
    );
    await readThenDisconnect(f.url, JSON.parse(body), 2);
    await until(() => f.running.proxy.inFlight === 0);
    await f.running.proxy.cache.flush();
    f.mock.setChunkDelay(0);
    const again = await f.chat(JSON.parse(body));
    expect(again.headers.get('x-semcache')).toBe('miss');
    expect(streamedText(await again.text())).toMatch(/^Mock answer to "Disconnect halfway/);
    expect(f.mock.requests.chatStream).toBe(2);
  });
});
