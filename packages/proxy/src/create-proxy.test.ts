import { createSemanticCache } from '@semcache/core';
import { startMockOpenAI } from '@semcache/mock-openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createProxy } from './create-proxy.js';
import { ask, type ProxyFixture, startFixture } from './proxy-fixture.test.helper.js';
import { toCacheRequest } from './to-cache-request.js';

let f: ProxyFixture;
beforeAll(async () => {
  f = await startFixture({ maxBodyBytes: 4096 });
});
afterAll(async () => f.close());

describe('routes of the proxy', () => {
  test('GET /healthz, GET / and an unknown path', async () => {
    expect(await (await fetch(new URL('/healthz', f.url))).json()).toEqual({ status: 'ok' });
    const page = await fetch(new URL('/', f.url));
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('semcache-proxy');
    const missing = await fetch(new URL('/nowhere', f.url));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('unknown_url');
  });

  test.each([
    ['invalid JSON', '{"model": "gpt-4.1", "messages": [', 400, 'invalid_request'],
    ['wrong types', JSON.stringify({ model: 42, messages: 'hi' }), 400, 'invalid_request'],
    ['n > 1', JSON.stringify({ ...ask('Two answers?'), n: 2 }), 400, 'invalid_request'],
    ['too large', JSON.stringify(ask('x'.repeat(5000))), 413, 'payload_too_large'],
  ])('%s → %i in OpenAI style, nothing sent upstream', async (_name, body, status, code) => {
    const response = await f.chat(body);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    expect(f.mock.requests.total).toBe(0);
  });

  test('a chunked body over the limit is a 413 too', async () => {
    const text = JSON.stringify(ask('y'.repeat(5000)));
    const response = await fetch(`${f.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(text));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  test('temperature > 0 without a seed goes around the cache (the core policy)', async () => {
    const body = ask('Be creative?', { temperature: 0.9 });
    expect((await f.chat(body)).headers.get('x-semcache')).toBe('bypass');
    expect((await f.chat({ ...body, seed: 3 })).headers.get('x-semcache')).toBe('miss');
  });
});

describe('createProxy with a cache of your own', () => {
  test('answers from it, does not close it, and refuses new requests once closing', async () => {
    const mock = await startMockOpenAI();
    const cache = createSemanticCache();
    const proxy = await createProxy({ upstream: mock.url, cache });
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      proxy.fetch(
        new Request('http://proxy.local/v1/chat/completions', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        }),
      );
    // An entry another app wrote under the same key is not replayed: the upstream answers.
    const foreign = ask('Foreign entry?');
    await cache.store(toCacheRequest(foreign, {}), {
      value: { text: 'not a completion' },
      finishReason: 'stop',
    });
    const fromUpstream = await post(foreign);
    expect(fromUpstream.headers.get('x-semcache')).toBe('bypass');
    expect(((await fromUpstream.json()) as { object: string }).object).toBe('chat.completion');
    expect(cache.stats().errors).toBe(1);

    expect((await post(ask('Own cache?'))).headers.get('x-semcache')).toBe('miss');
    expect((await post(ask('Own cache?'))).headers.get('x-semcache')).toBe('exact');
    await proxy.close();
    const refused = await post(ask('After close?'));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('connection')).toBe('close');
    expect((await cache.lookup(toCacheRequest(ask('Own cache?'), {}))).kind).toBe('exact');
    await cache.close();
    await mock.close();
  });
});
