import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import type { ChatStreamChunk } from './chat-chunks.js';
import { writeChatStream } from './sse-writer.js';

const chunks: ChatStreamChunk[] = [
  { kind: 'role', data: { n: 0 } },
  { kind: 'delta', data: { n: 1 } },
  { kind: 'delta', data: { n: 2 } },
  { kind: 'finish', data: { n: 3 } },
];

let close: (() => void) | undefined;

async function serve(cutAfterChunks: number | undefined, chunkDelayMs = 0): Promise<string> {
  const server = createServer((_req, res) => {
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    void writeChatStream(res, chunks, { chunkDelayMs, cutAfterChunks, signal: controller.signal });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () => {
    server.closeAllConnections();
    server.close();
  };
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Reads the body as far as it goes; returns the text and whether the stream failed. */
async function readAll(url: string): Promise<{ text: string; failed: boolean }> {
  const response = await fetch(url);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = (await reader?.read()) ?? { done: true, value: undefined };
      if (done) return { text, failed: false };
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return { text, failed: true };
  }
}

afterEach(() => {
  close?.();
  close = undefined;
});

describe('writeChatStream', () => {
  test('writes every chunk as SSE and ends with [DONE]', async () => {
    const url = await serve(undefined, 2);
    expect(await readAll(url)).toEqual({
      text: 'data: {"n":0}\n\ndata: {"n":1}\n\ndata: {"n":2}\n\ndata: {"n":3}\n\ndata: [DONE]\n\n',
      failed: false,
    });
  });

  test('destroys the socket after the requested delta chunks', async () => {
    const url = await serve(1);
    expect(await readAll(url)).toEqual({
      text: 'data: {"n":0}\n\ndata: {"n":1}\n\n',
      failed: true,
    });
  });

  test('caps the cut before the finish chunk', async () => {
    const url = await serve(99);
    const { text, failed } = await readAll(url);
    expect(failed).toBe(true);
    expect(text).toContain('{"n":2}');
    expect(text).not.toContain('{"n":3}');
  });
});
