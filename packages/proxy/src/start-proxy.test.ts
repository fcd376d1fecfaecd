import { startMockOpenAI } from '@semcache/mock-openai';
import { expect, test } from 'vitest';
import { ask, streamedText, until } from './proxy-fixture.test.helper.js';
import { startProxy } from './start-proxy.js';
import { toCacheRequest } from './to-cache-request.js';

test('close() lets a stream in flight finish, stores its answer, then stops listening', async () => {
  const mock = await startMockOpenAI({ chunkDelayMs: 20 });
  const running = await startProxy({ upstream: mock.url, port: 0, shutdownTimeoutMs: 10_000 });
  expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  const body = ask('Finish me while the proxy shuts down?', { stream: true });
  const response = await fetch(`${running.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  const text = response.text();
  await until(() => running.proxy.inFlight === 1);
  const closed = running.close();
  // The stream in flight goes on to its end.
  expect(streamedText(await text)).toMatch(/^Mock answer to "Finish me/);
  await closed;
  expect((await running.proxy.cache.lookup(toCacheRequest(body, {}))).kind).toBe('exact');
  await expect(fetch(`${running.url}/chat/completions`)).rejects.toThrow();
  await mock.close();
});

test('a port already in use is an error, and nothing is left running', async () => {
  const first = await startProxy({ port: 0 });
  await expect(startProxy({ port: first.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  await first.close();
});
