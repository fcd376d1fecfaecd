import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { readBody, sendJson, sleep, writeFlushed } from './http-io.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
let close: (() => Promise<void>) | undefined;

async function serve(handler: Handler): Promise<string> {
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('http-io', () => {
  test('readBody and sendJson round-trip JSON', async () => {
    const url = await serve(async (req, res) => {
      const body = await readBody(req, 1024);
      sendJson(res, 201, { echo: body.ok ? body.text : null }, { 'x-mock': '1' });
    });
    const response = await fetch(url, { method: 'POST', body: 'héllo' });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-mock')).toBe('1');
    expect(await response.json()).toEqual({ echo: 'héllo' });
  });

  test('readBody reports bodies over the limit', async () => {
    const url = await serve(async (req, res) => {
      const body = await readBody(req, 4);
      sendJson(res, body.ok ? 200 : 413, body, { connection: 'close' });
    });
    const response = await fetch(url, { method: 'POST', body: 'too long' });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ ok: false, reason: 'tooLarge' });
  });

  test('writeFlushed writes before resolving', async () => {
    const url = await serve(async (_req, res) => {
      res.writeHead(200);
      await writeFlushed(res, 'a');
      await writeFlushed(res, 'b');
      res.end();
    });
    expect(await (await fetch(url)).text()).toBe('ab');
  });

  test('sleep waits, and stops early on abort', async () => {
    const controller = new AbortController();
    const started = performance.now();
    await sleep(20, controller.signal);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    const pending = sleep(10_000, controller.signal);
    controller.abort();
    await pending;
    await sleep(10_000, controller.signal);
  });
});
