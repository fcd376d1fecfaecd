import { afterEach, describe, expect, test, vi } from 'vitest';
import type { ComputedResponse } from './cache-policy.js';
import type { CacheRequest } from './cache-request.js';
import type { JsonValue } from './json.js';
import { MemoryStore } from './memory-store.js';
import { createSemanticCache } from './semantic-cache.js';

const ask = (text: string): CacheRequest => ({
  model: { provider: 'test', id: 'model-a' },
  messages: [{ role: 'user', content: [{ type: 'text', text }] }],
});

const answer = (text: string): ComputedResponse<{ text: string }> => ({
  value: { text },
  finishReason: 'stop',
});

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function abortError(): Error {
  const error = new Error('The operation was aborted.');
  error.name = 'AbortError';
  return error;
}

/** A controllable model stream of string parts. */
function liveSource(parts: string[]) {
  const queue: (string | undefined)[] = [];
  let wake: (() => void) | undefined;
  const push = (part: string | undefined) => {
    queue.push(part);
    wake?.();
  };
  let opened = 0;
  let abandoned = false;
  const iterable: AsyncIterable<string> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        for (;;) {
          if (queue.length > 0) {
            const part = queue.shift();
            return part === undefined
              ? { done: true, value: undefined }
              : { done: false, value: part };
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      },
      return: async () => ({ done: true, value: undefined }),
    }),
  };
  return {
    source: {
      start: async (signal: AbortSignal) => {
        opened++;
        signal.addEventListener('abort', () => {
          abandoned = true;
          push(undefined);
        });
        return iterable;
      },
      complete: (recorded: readonly string[]) =>
        recorded.includes('error') ? undefined : answer(recorded.join('')),
    },
    send: (part: string) => push(part),
    end: () => push(undefined),
    get opened() {
      return opened;
    },
    get abandoned() {
      return abandoned;
    },
    parts,
  };
}

async function drain<T>(parts: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('getOrCompute', () => {
  test('a leader that aborts does not pass its abort on: a waiter computes and everyone else gets that answer', async () => {
    const cache = createSemanticCache();
    let release: () => void = () => {};
    const leader = cache.getOrCompute(ask('q'), async () => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      throw abortError();
    });
    const computes: string[] = [];
    const waiters = Array.from({ length: 3 }, (_, i) =>
      cache.getOrCompute(ask('q'), async () => {
        computes.push(`waiter ${i}`);
        return answer('from a waiter');
      }),
    );
    await tick();
    release();
    await expect(leader).rejects.toThrow('aborted');
    const results = await Promise.all(waiters);
    expect(computes).toHaveLength(1);
    expect(results.map((r) => (r.value as { text: string }).text)).toEqual([
      'from a waiter',
      'from a waiter',
      'from a waiter',
    ]);
    expect(results.filter((r) => r.coalesced)).toHaveLength(2);
  });

  test('a waiter whose own signal aborts stops waiting at once with its reason; the leader goes on', async () => {
    const cache = createSemanticCache();
    let finish: () => void = () => {};
    const leader = cache.getOrCompute(ask('q'), async () => {
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      return answer('a');
    });
    await tick();
    const controller = new AbortController();
    const waiter = cache.getOrCompute(ask('q'), async () => answer('never'), {
      signal: controller.signal,
    });
    controller.abort(new Error('user left'));
    await expect(waiter).rejects.toThrow('user left');
    finish();
    expect(await leader).toMatchObject({ kind: 'miss', stored: true });
  });

  test('coalesce: false computes for every caller but still reads and writes the cache', async () => {
    const cache = createSemanticCache();
    let computes = 0;
    const compute = async () => {
      computes++;
      await tick();
      return answer('x');
    };
    await Promise.all(
      [1, 2, 3].map(() => cache.getOrCompute(ask('q'), compute, { coalesce: false })),
    );
    expect(computes).toBe(3);
    expect((await cache.getOrCompute(ask('q'), compute, { coalesce: false })).kind).toBe('exact');
  });
});

describe('getOrStream', () => {
  test('identical concurrent streams open the model once; every reader gets every part; the answer is stored once', async () => {
    const cache = createSemanticCache();
    const model = liveSource([]);
    const first = await cache.getOrStream(ask('q'), model.source);
    model.send('Hel');
    const second = await cache.getOrStream(ask('q'), model.source);
    model.send('lo');
    model.end();
    expect(first.kind === 'live' && second.kind === 'live').toBe(true);
    if (first.kind !== 'live' || second.kind !== 'live') return;
    expect(await drain(first.parts)).toEqual(['Hel', 'lo']);
    expect(await drain(second.parts)).toEqual(['Hel', 'lo']);
    expect(await first.stored).toBe(true);
    expect(second.coalesced).toBe(true);
    expect(model.opened).toBe(1);
    expect(cache.stats()).toMatchObject({ stores: 1, coalesced: 1 });
    const again = await cache.getOrStream(ask('q'), model.source);
    expect(again).toMatchObject({ kind: 'exact', value: { text: 'Hello' } });
  });

  test('when every reader leaves early the model stream is stopped and nothing is stored', async () => {
    const cache = createSemanticCache();
    const model = liveSource([]);
    const result = await cache.getOrStream(ask('q'), model.source);
    if (result.kind !== 'live') throw new Error('expected a live stream');
    model.send('partial');
    for await (const _part of result.parts) break;
    expect(model.abandoned).toBe(true);
    expect(await result.stored).toBe(false);
    const next = liveSource([]);
    const retry = await cache.getOrStream(ask('q'), next.source);
    expect(retry.kind).toBe('live');
    expect(next.opened).toBe(1);
  });

  test('a stream the adapter calls incomplete (an error part) is not stored', async () => {
    const cache = createSemanticCache();
    const model = liveSource([]);
    const result = await cache.getOrStream(ask('q'), model.source);
    if (result.kind !== 'live') throw new Error('expected a live stream');
    model.send('x');
    model.send('error');
    model.end();
    expect(await drain(result.parts)).toEqual(['x', 'error']);
    expect(await result.stored).toBe(false);
    expect(cache.stats().stores).toBe(0);
  });

  test('a generate call waits for a running identical stream and gets its answer', async () => {
    const cache = createSemanticCache();
    const model = liveSource([]);
    const stream = await cache.getOrStream(ask('q'), model.source);
    let computed = false;
    const generate = cache.getOrCompute(ask('q'), async () => {
      computed = true;
      return answer('own');
    });
    await tick();
    model.send('streamed');
    model.end();
    if (stream.kind === 'live') await drain(stream.parts);
    expect(await generate).toMatchObject({
      kind: 'miss',
      coalesced: true,
      value: { text: 'streamed' },
    });
    expect(computed).toBe(false);
  });

  test('a stream waits for a running identical generate call and gets its value to replay', async () => {
    const cache = createSemanticCache();
    let finish: () => void = () => {};
    const generate = cache.getOrCompute(ask('q'), async () => {
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      return answer('generated');
    });
    await tick();
    const model = liveSource([]);
    const pending = cache.getOrStream(ask('q'), model.source);
    await tick();
    finish();
    await generate;
    expect(await pending).toMatchObject({
      kind: 'miss',
      coalesced: true,
      value: { text: 'generated' },
    });
    expect(model.opened).toBe(0);
  });
});

describe('an answer whose write is still on its way', () => {
  /** A MemoryStore whose writes land only when the test lets them. */
  function slowWrites() {
    const store = new MemoryStore();
    const pending: (() => void)[] = [];
    const set = store.set.bind(store);
    store.set = (namespace, record) =>
      new Promise<void>((resolve, reject) => {
        pending.push(() => set(namespace, record).then(resolve, reject));
      });
    return {
      store,
      land: () => {
        for (const go of pending.splice(0)) go();
      },
      pending,
    };
  }

  test('a caller arriving after a stream ended but before its write landed gets that answer, not a model call', async () => {
    const { store, land, pending } = slowWrites();
    const cache = createSemanticCache({ store, storeTimeoutMs: 5000 });
    const model = liveSource([]);
    const stream = await cache.getOrStream(ask('q'), model.source);
    model.send('streamed');
    model.end();
    // The model stream ended and its answer is being written (a reader's stream ends after that).
    await vi.waitFor(() => expect(pending).toHaveLength(1));
    let computed = 0;
    const generate = await cache.getOrCompute(ask('q'), async () => {
      computed++;
      return answer('own');
    });
    const replay = await cache.getOrStream(ask('q'), liveSource([]).source);
    land();
    expect(generate).toMatchObject({ coalesced: true, value: { text: 'streamed' } });
    expect(replay).toMatchObject({ kind: 'live', coalesced: true });
    if (stream.kind === 'live') expect(await drain(stream.parts)).toEqual(['streamed']);
    if (replay.kind === 'live') expect(await drain(replay.parts)).toEqual(['streamed']);
    expect(computed).toBe(0);
    if (stream.kind === 'live') expect(await stream.stored).toBe(true);
    expect(await cache.getOrCompute(ask('q'), async () => answer('own'))).toMatchObject({
      kind: 'exact',
      value: { text: 'streamed' },
    });
  });

  test('the same holds for a generate call: the flight is shared until the write settled', async () => {
    const { store, land, pending } = slowWrites();
    const cache = createSemanticCache({ store, storeTimeoutMs: 5000 });
    let computed = 0;
    const compute = async () => {
      computed++;
      return answer(`answer ${computed}`);
    };
    const first = cache.getOrCompute(ask('q'), compute);
    await vi.waitFor(() => expect(pending).toHaveLength(1));
    const second = await cache.getOrCompute(ask('q'), compute);
    land();
    expect(await first).toMatchObject({ kind: 'miss', coalesced: false, stored: true });
    expect(second).toMatchObject({ kind: 'miss', coalesced: true, value: { text: 'answer 1' } });
    expect(computed).toBe(1);
  });
});

describe('lookupOrLead (lookup, model call and store in separate steps)', () => {
  const reported = { failureReported: true };

  test('a waiter gets the leader’s settled answer; settle stores it', async () => {
    const cache = createSemanticCache();
    expect(await cache.lookupOrLead(ask('q'), reported)).toMatchObject({
      kind: 'miss',
      coalesced: false,
    });
    const waiter = cache.lookupOrLead(ask('q'), reported);
    await tick();
    expect(await cache.settle(ask('q'), answer('a'))).toBe(true);
    expect(await waiter).toMatchObject({ kind: 'miss', coalesced: true, value: { text: 'a' } });
    expect(cache.stats().coalesced).toBe(1);
    expect((await cache.lookup(ask('q'))).kind).toBe('exact');
  });

  test('a reported failure releases the waiters at once; one of them leads next', async () => {
    const cache = createSemanticCache();
    await cache.lookupOrLead(ask('q'), { ...reported, tag: 'prompt q' });
    const done: boolean[] = [];
    const waiters = [1, 2].map(() =>
      cache.lookupOrLead(ask('q'), reported).then((result) => {
        done.push(result.coalesced);
        return result;
      }),
    );
    await tick();
    expect(done).toEqual([]);
    cache.abandon('prompt q');
    await tick();
    // One waiter now leads (it returned: call the model); the other waits for it.
    expect(done).toEqual([false]);
    await cache.settle(ask('q'), answer('second try'));
    await Promise.all(waiters);
    expect(done).toEqual([false, true]);
  });

  test('a lookup never waits for a lead of its own batch (same owner)', async () => {
    const cache = createSemanticCache();
    const owner = {};
    await cache.lookupOrLead(ask('q'), { ...reported, owner });
    expect(await cache.lookupOrLead(ask('q'), { ...reported, owner })).toMatchObject({
      kind: 'miss',
      coalesced: false,
    });
  });

  test('unseen failures: waiters wait at most the unseen-lead bound, then later callers do not wait at all', async () => {
    vi.useFakeTimers();
    const cache = createSemanticCache({ coalesceTimeoutMs: 30_000 });
    const unseen = { failureReported: false };
    // The first call leads and fails without telling (its update never comes).
    await cache.lookupOrLead(ask('q'), unseen);
    let retried: unknown;
    void cache.lookupOrLead(ask('q'), unseen).then((result) => {
      retried = result;
    });
    await vi.advanceTimersByTimeAsync(499);
    expect(retried).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(retried).toMatchObject({ kind: 'miss', coalesced: false });
    // The request's lead vanished: the next caller neither waits nor is waited for.
    let third: unknown;
    void cache.lookupOrLead(ask('q'), unseen).then((result) => {
      third = result;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(third).toMatchObject({ kind: 'miss', coalesced: false });
    // Once answered, waiting is back: this model's answer is known to take ~0 ms.
    await cache.settle(ask('q'), answer('x'));
    expect((await cache.lookupOrLead(ask('q'), unseen)).kind).toBe('exact');
  });

  test('unseen failures: concurrent waiters of a vanished lead still go on together behind one of them', async () => {
    vi.useFakeTimers();
    const cache = createSemanticCache({ coalesceTimeoutMs: 200 });
    const unseen = { failureReported: false };
    await cache.lookupOrLead(ask('q'), unseen);
    const waiters = [1, 2, 3].map(() => cache.lookupOrLead<JsonValue>(ask('q'), unseen));
    await vi.advanceTimersByTimeAsync(200);
    // One of the three now leads; the two others wait for it, a newcomer does not.
    const newcomer = await cache.lookupOrLead(ask('q'), unseen);
    expect(newcomer).toMatchObject({ kind: 'miss', coalesced: false });
    await cache.settle(ask('q'), answer('second'));
    const results = await Promise.all(waiters);
    expect(results.filter((r) => r.coalesced)).toHaveLength(2);
  });
});

test('a stream that goes around the cache (bypass) is still stopped when its reader leaves', async () => {
  const cache = createSemanticCache();
  let aborted = false;
  const result = await cache.getOrStream(
    ask('q'),
    {
      start: async (signal) => {
        signal.addEventListener('abort', () => {
          aborted = true;
        });
        return (async function* () {
          yield 'first';
          await new Promise((resolve) => setTimeout(resolve, 10_000));
        })();
      },
      complete: () => undefined,
    },
    { bypass: true },
  );
  if (result.kind !== 'live') throw new Error('expected a live stream');
  for await (const _part of result.parts) break;
  expect(aborted).toBe(true);
});
