import { describe, expect, test } from 'vitest';
import { isStreamed, streamedResponse, watchBody } from './watch-body.js';

function source(items: string[], failAfter?: number) {
  let i = 0;
  let cancelled = false;
  const stream = new ReadableStream<string>({
    pull(controller) {
      if (failAfter !== undefined && i === failAfter) return controller.error(new Error('broke'));
      if (i === items.length) return controller.close();
      controller.enqueue(items[i++] as string);
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

async function readAll(stream: ReadableStream<string>): Promise<string[]> {
  const found: string[] = [];
  for await (const item of stream) found.push(item);
  return found;
}

describe('watchBody', () => {
  test('passes every chunk through and reports the end once', async () => {
    const ends: string[] = [];
    const watched = watchBody(source(['a', 'b']).stream, (how) => ends.push(how));
    expect(await readAll(watched)).toEqual(['a', 'b']);
    expect(ends).toEqual(['done']);
  });

  test('a failing source fails the stream and reports it', async () => {
    const ends: string[] = [];
    const watched = watchBody(source(['a', 'b'], 1).stream, (how) => ends.push(how));
    await expect(readAll(watched)).rejects.toThrow('broke');
    expect(ends).toEqual(['failed']);
  });

  test('a reader that cancels cancels the source', async () => {
    const ends: string[] = [];
    const inner = source(['a', 'b', 'c']);
    const reader = watchBody(inner.stream, (how) => ends.push(how)).getReader();
    await reader.read();
    await reader.cancel();
    expect(ends).toEqual(['cancelled']);
    expect(inner.cancelled()).toBe(true);
  });

  test('streamed responses are marked', () => {
    const plain = new Response('x');
    expect(isStreamed(streamedResponse(new Response('y')))).toBe(true);
    expect(isStreamed(plain)).toBe(false);
  });
});
