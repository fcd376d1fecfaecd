import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ProxyFixture, startFixture } from './proxy-fixture.test.helper.js';

/** An upstream that echoes what it received, to see what the proxy forwards. */
let echo: ReturnType<typeof createServer>;
let f: ProxyFixture;
beforeAll(async () => {
  echo = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    res.writeHead(req.url?.includes('status=') ? Number(req.url.split('status=')[1]) : 200, {
      'content-type': 'application/json',
      'x-upstream-header': 'kept',
      connection: 'close',
    });
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      }),
    );
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  f = await startFixture({
    upstream: `http://127.0.0.1:${(echo.address() as AddressInfo).port}/base/v1`,
  });
});
afterAll(async () => {
  await f.close();
  await new Promise((resolve) => echo.close(resolve));
});

describe('other /v1 paths pass through unchanged', () => {
  test('method, path, query, body, status and headers (minus hop-by-hop)', async () => {
    const response = await fetch(`${f.url}/embeddings?dry=1`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk-own',
        'x-custom': 'yes',
        'x-semcache-ttl': '5',
      },
      body: '{"input":"hello","model":"text-embedding-3-small"}',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-upstream-header')).toBe('kept');
    expect(response.headers.get('x-semcache')).toBeNull();
    const seen = (await response.json()) as {
      method: string;
      url: string;
      headers: Record<string, string>;
      body: string;
    };
    expect(seen).toMatchObject({
      method: 'POST',
      url: '/base/v1/embeddings?dry=1',
      body: '{"input":"hello","model":"text-embedding-3-small"}',
    });
    expect(seen.headers).toMatchObject({ authorization: 'Bearer sk-own', 'x-custom': 'yes' });
    expect(seen.headers['x-semcache-ttl']).toBeUndefined();
  });

  test('DELETE and GET, and the upstream status is kept', async () => {
    const deleted = await fetch(`${f.url}/files/file-1?status=404`, { method: 'DELETE' });
    expect(deleted.status).toBe(404);
    expect(((await deleted.json()) as { method: string }).method).toBe('DELETE');
    const listed = await fetch(`${f.url}/models`);
    expect(((await listed.json()) as { url: string }).url).toBe('/base/v1/models');
  });

  test('a body over the limit is a 413', async () => {
    const small = await startFixture({ upstream: f.url, maxBodyBytes: 64 });
    try {
      const response = await fetch(`${small.url}/embeddings`, {
        method: 'POST',
        body: 'x'.repeat(65),
      });
      expect(response.status).toBe(413);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'payload_too_large',
      );
    } finally {
      await small.close();
    }
  });
});
