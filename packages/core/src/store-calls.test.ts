import { describe, expect, test } from 'vitest';
import type { CacheRequest } from './cache-request.js';
import type { CacheStore, StoreRecord } from './cache-store.js';
import type { CacheEvents } from './events.js';
import { MemoryStore } from './memory-store.js';
import { createSemanticCache } from './semantic-cache.js';

const ask = (text: string): CacheRequest => ({
  model: { provider: 'test', id: 'model-a' },
  messages: [{ role: 'user', content: [{ type: 'text', text }] }],
});

/** Keeps the event loop busy (as a burst of other requests' CPU work would) for `ms`. */
function blockLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A store with I/O: every call answers after `replyMs` (a timer stands for the network). */
function remoteStore(replyMs: () => number, onSet?: (record: StoreRecord) => Promise<void>) {
  const memory = new MemoryStore();
  const later = <T>(value: () => Promise<T>) => sleep(replyMs()).then(value);
  let writing = 0;
  let maxWriting = 0;
  const store: CacheStore = {
    name: 'remote',
    get: (namespace, key) => later(() => memory.get(namespace, key)),
    set: async (namespace, record) => {
      writing++;
      maxWriting = Math.max(maxWriting, writing);
      try {
        await onSet?.(record);
        await later(() => memory.set(namespace, record));
      } finally {
        writing--;
      }
    },
    delete: (namespace, key) => later(() => memory.delete(namespace, key)),
    search: (namespace, query) => later(() => memory.search(namespace, query)),
    clear: (namespace) => memory.clear(namespace),
    close: () => memory.close(),
  };
  return { store, maxWriting: () => maxWriting };
}

function record<E extends keyof CacheEvents>(
  cache: ReturnType<typeof createSemanticCache>,
  event: E,
): CacheEvents[E][] {
  const seen: CacheEvents[E][] = [];
  cache.on(event, (payload) => seen.push(payload));
  return seen;
}

describe('store calls under load', () => {
  test('an app that blocks its own event loop longer than storeTimeoutMs does not time out a healthy store', async () => {
    const { store } = remoteStore(() => 2);
    const cache = createSemanticCache({ store, storeTimeoutMs: 20 });
    const errors = record(cache, 'error');
    const circuit = record(cache, 'circuit');
    await cache.store(ask('q'), { value: 'a', finishReason: 'stop' });
    for (let i = 0; i < 8; i++) {
      const lookup = cache.lookup(ask('q'));
      // The reply arrives after 2 ms, but the loop is busy for 60 ms: it waits unread.
      blockLoop(60);
      expect((await lookup).kind).toBe('exact');
    }
    expect(errors).toEqual([]);
    expect(circuit).toEqual([]);
  });

  test('a store that really is late, while the loop is free, times out and opens the breaker with a reason', async () => {
    let replyMs = 2;
    const { store } = remoteStore(() => replyMs);
    const cache = createSemanticCache({
      store,
      storeTimeoutMs: 20,
      circuitBreaker: { failureThreshold: 2, cooldownMs: 50 },
    });
    const circuit = record(cache, 'circuit');
    replyMs = 200;
    expect((await cache.lookup(ask('q'))).kind).toBe('miss');
    expect((await cache.lookup(ask('q'))).kind).toBe('miss');
    expect(circuit).toHaveLength(1);
    expect(circuit[0]?.state).toBe('open');
    expect(circuit[0]?.reason).toMatch(
      /2 remote store operations in a row failed .*get.*did not answer within 20 ms/,
    );
    replyMs = 2;
    await sleep(60);
    await cache.lookup(ask('q'));
    expect(circuit.map((change) => change.state)).toEqual(['open', 'closed']);
  });

  test('writes beyond writeConcurrency wait in the queue without timing out; flush waits for all of them', async () => {
    const { store, maxWriting } = remoteStore(() => 30);
    const cache = createSemanticCache({ store, storeTimeoutMs: 40, writeConcurrency: 2 });
    const errors = record(cache, 'error');
    const writes = Array.from({ length: 10 }, (_, i) =>
      cache.getOrCompute(ask(`question ${i}`), async () => ({ value: i, finishReason: 'stop' })),
    );
    const results = await Promise.all(writes);
    expect(results.every((result) => result.kind === 'miss' && result.stored)).toBe(true);
    await cache.flush();
    expect(cache.stats()).toMatchObject({ stores: 10, pendingWrites: 0 });
    expect(maxWriting()).toBe(2);
    expect(errors).toEqual([]);
    for (let i = 0; i < 10; i++) {
      expect((await cache.lookup(ask(`question ${i}`))).kind).toBe('exact');
    }
  });

  test('past maxQueuedWrites new writes are dropped and reported as shed, never thrown', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { store } = remoteStore(
      () => 1,
      () => gate,
    );
    const cache = createSemanticCache({ store, writeConcurrency: 1, maxQueuedWrites: 2 });
    const shed = record(cache, 'shed');
    const stored = Array.from({ length: 5 }, (_, i) =>
      cache.store(ask(`q${i}`), { value: i, finishReason: 'stop' }),
    );
    await sleep(5);
    release();
    expect(await Promise.all(stored)).toEqual([true, true, true, false, false]);
    expect(shed.map((event) => event.operation)).toEqual(['write', 'write']);
    expect(cache.stats().shed).toBe(2);
  });

  test('when the process is overloaded the semantic search is skipped first; exact hits go on', async () => {
    const cache = createSemanticCache({ overloadDelayMs: 50 });
    const shed = record(cache, 'shed');
    await cache.store(ask('How do I reset my password?'), { value: 'a', finishReason: 'stop' });
    // A lag the probe sees: the loop is blocked for longer than overloadDelayMs.
    await sleep(20);
    blockLoop(120);
    await sleep(0);
    expect((await cache.lookup(ask('How do I reset my password?'))).kind).toBe('exact');
    expect(await cache.lookup(ask('how do i reset my password'))).toEqual({
      kind: 'miss',
      reason: 'shed',
    });
    expect(shed[0]).toMatchObject({ operation: 'semantic-search' });
    expect(shed[0]?.reason).toMatch(/event loop is \d+ ms late/);
    // About a second later the loop is healthy again and semantic hits are back.
    await sleep(1100);
    expect((await cache.lookup(ask('how do i reset my password'))).kind).toBe('semantic');
  });

  test('an in-process store gets no timeout at all: a blocked loop never fails it', async () => {
    const cache = createSemanticCache({ storeTimeoutMs: 1 });
    const errors = record(cache, 'error');
    await cache.store(ask('q'), { value: 'a', finishReason: 'stop' });
    const lookup = cache.lookup(ask('q'));
    blockLoop(30);
    expect((await lookup).kind).toBe('exact');
    expect(errors).toEqual([]);
  });
});
