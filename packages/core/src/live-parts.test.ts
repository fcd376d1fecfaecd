import { describe, expect, test } from 'vitest';
import { LiveParts } from './live-parts.js';

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('LiveParts', () => {
  test('late consumers get what they missed, then live items, then the result', async () => {
    const stream = new LiveParts<number, string>(() => {});
    stream.push(1);
    const early = drain(stream.subscribe());
    stream.push(2);
    const late = drain(stream.subscribe());
    stream.push(3);
    stream.end('done');
    await expect(early).resolves.toEqual([1, 2, 3]);
    await expect(late).resolves.toEqual([1, 2, 3]);
    expect(stream.result).toBe('done');
  });

  test('a failure reaches every consumer after the items before it', async () => {
    const stream = new LiveParts<number, string>(() => {});
    const seen: number[] = [];
    const consumer = (async () => {
      for await (const item of stream.subscribe()) seen.push(item);
    })();
    stream.push(1);
    stream.fail(new Error('cut'));
    await expect(consumer).rejects.toThrow('cut');
    expect(seen).toEqual([1]);
    expect(stream.result).toBeUndefined();
  });

  test('the producer hears when every consumer left early', async () => {
    let abandoned = 0;
    const stream = new LiveParts<number, string>(() => abandoned++);
    stream.push(1);
    stream.push(2);
    for await (const _item of stream.subscribe()) break;
    expect(abandoned).toBe(1);
    expect(stream.abandoned).toBe(true);
  });

  test('an aborted consumer leaves alone; the others continue', async () => {
    const stream = new LiveParts<number, string>(() => {});
    const controller = new AbortController();
    const aborted = drain(stream.subscribe(controller.signal));
    const other = drain(stream.subscribe());
    stream.push(1);
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    stream.push(2);
    stream.end('ok');
    await expect(other).resolves.toEqual([1, 2]);
  });
});
