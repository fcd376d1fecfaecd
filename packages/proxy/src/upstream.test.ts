import { describe, expect, test } from 'vitest';
import { closedPort } from './proxy-fixture.test.helper.js';
import {
  fetchUpstream,
  responseHeaders,
  throwUnlessOk,
  UpstreamError,
  UpstreamUnreachable,
  upstreamRequestHeaders,
  upstreamUrl,
} from './upstream.js';

describe('upstream requests', () => {
  test('the incoming /v1 path goes under the upstream base', () => {
    expect(upstreamUrl('https://api.holysheep.ai/v1', '/v1/chat/completions', '')).toBe(
      'https://api.holysheep.ai/v1/chat/completions',
    );
    expect(upstreamUrl('http://h:1/openai/v1/', '/v1/models', '?limit=2')).toBe(
      'http://h:1/openai/v1/models?limit=2',
    );
  });

  test('hop-by-hop, framing and x-semcache headers stay behind; the rest goes on', () => {
    const headers = upstreamRequestHeaders(
      new Headers({
        connection: 'keep-alive, x-trace',
        'x-trace': 'per-connection',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        host: 'proxy.local',
        'content-length': '12',
        'accept-encoding': 'gzip',
        'x-semcache-ttl': '60',
        'openai-organization': 'org-1',
        authorization: 'Bearer sk-client-own',
      }),
      undefined,
    );
    expect([...headers.keys()].sort()).toEqual(['authorization', 'openai-organization']);
    expect(headers.get('authorization')).toBe('Bearer sk-client-own');
  });

  test('with the proxy key, every client credential header is replaced by it', () => {
    const headers = upstreamRequestHeaders(
      new Headers({
        authorization: 'Bearer client-key',
        'x-api-key': 'client-key',
        'api-key': 'client-key',
        cookie: 'session=client',
        'proxy-authorization': 'Basic Y2xpZW50',
      }),
      'Bearer sk-proxy',
    );
    expect([...headers]).toEqual([['authorization', 'Bearer sk-proxy']]);
  });

  test('response headers lose hop-by-hop and framing headers', () => {
    const headers = responseHeaders(
      new Headers({
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': '99',
        connection: 'close',
        'x-request-id': 'req-1',
      }),
    );
    expect([...headers].sort()).toEqual([
      ['content-type', 'application/json'],
      ['x-request-id', 'req-1'],
    ]);
  });

  test('a refused connection is UpstreamUnreachable, and its response a 502', async () => {
    const error = await fetchUpstream(`http://127.0.0.1:${await closedPort()}/v1/models`, {}).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UpstreamUnreachable);
    const response = (error as UpstreamUnreachable).toResponse({ 'x-semcache': 'miss' });
    expect(response.status).toBe(502);
    expect(response.headers.get('x-semcache')).toBe('miss');
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      'ECONNREFUSED',
    );
  });

  test('an aborted call stays an abort', async () => {
    const controller = new AbortController();
    controller.abort(new DOMException('client left', 'AbortError'));
    const error = await fetchUpstream('http://127.0.0.1:9/', { signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe('AbortError');
  });

  test('a failed answer becomes an UpstreamError that replays status, headers and body', async () => {
    const failed = new Response('{"error":{"message":"nope"}}', {
      status: 429,
      headers: { 'retry-after': '1', 'content-type': 'application/json' },
    });
    const error = await throwUnlessOk(failed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    const replayed = (error as UpstreamError).toResponse();
    expect(replayed.status).toBe(429);
    expect(replayed.headers.get('retry-after')).toBe('1');
    expect(await replayed.text()).toBe('{"error":{"message":"nope"}}');
    const ok = new Response('fine');
    expect(await throwUnlessOk(ok)).toBe(ok);
  });
});
