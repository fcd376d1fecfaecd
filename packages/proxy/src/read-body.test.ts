import { describe, expect, test } from 'vitest';
import { readBody } from './read-body.js';

const chunked = (pieces: string[]) =>
  new Request('http://proxy.local/', {
    method: 'POST',
    body: new ReadableStream({
      start(controller) {
        for (const piece of pieces) controller.enqueue(new TextEncoder().encode(piece));
        controller.close();
      },
    }),
    duplex: 'half',
  } as RequestInit);

describe('readBody', () => {
  test('a body with a declared length, within the limit', async () => {
    const request = new Request('http://proxy.local/', {
      method: 'POST',
      body: 'héllo',
      headers: { 'content-length': '6' },
    });
    expect(await readBody(request, 6)).toEqual({ ok: true, text: 'héllo' });
  });

  test('a declared length over the limit is refused before reading', async () => {
    const request = new Request('http://proxy.local/', {
      method: 'POST',
      body: 'x'.repeat(10),
      headers: { 'content-length': '10' },
    });
    expect(await readBody(request, 9)).toEqual({ ok: false, reason: 'too-large' });
    expect(request.bodyUsed).toBe(false);
  });

  test('a chunked body is read up to the limit, then dropped', async () => {
    expect(await readBody(chunked(['ab', 'c你', '好']), 20)).toEqual({ ok: true, text: 'abc你好' });
    expect(await readBody(chunked(['abcd', 'efgh', 'ijkl']), 10)).toEqual({
      ok: false,
      reason: 'too-large',
    });
  });

  test('no body is an empty text', async () => {
    expect(await readBody(new Request('http://proxy.local/'), 1)).toEqual({ ok: true, text: '' });
  });
});
