import { describe, expect, test } from 'vitest';
import { readSseData, sseEvent } from './sse.js';

function bodyOf(pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  });
}

async function all(pieces: string[]): Promise<string[]> {
  const found: string[] = [];
  for await (const data of readSseData(bodyOf(pieces))) found.push(data);
  return found;
}

describe('readSseData', () => {
  test('events split anywhere across reads, LF, CRLF or CR line ends', async () => {
    const text = 'data: {"a":1}\n\ndata: {"b":2}\r\n\r\ndata: [DONE]\r\r';
    for (let cut = 1; cut < text.length; cut++) {
      expect(await all([text.slice(0, cut), text.slice(cut)])).toEqual([
        '{"a":1}',
        '{"b":2}',
        '[DONE]',
      ]);
    }
  });

  test('comments and other fields are skipped; multi-line data is joined', async () => {
    expect(await all([': keep-alive\n\nevent: message\nid: 7\ndata: one\ndata:two\n\n'])).toEqual([
      'one\ntwo',
    ]);
  });

  test('a multi-byte character split across reads is decoded whole', async () => {
    const bytes = new TextEncoder().encode('data: 你好\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 8));
        controller.enqueue(bytes.slice(8));
        controller.close();
      },
    });
    const found: string[] = [];
    for await (const data of readSseData(body)) found.push(data);
    expect(found).toEqual(['你好']);
  });

  test('a last event without its blank line still counts', async () => {
    expect(await all(['data: last'])).toEqual(['last']);
  });

  test('stopping early cancels the body', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: x\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const _data of readSseData(body)) break;
    expect(cancelled).toBe(true);
  });

  test('sseEvent writes one event', () => {
    expect(sseEvent('[DONE]')).toBe('data: [DONE]\n\n');
  });
});
