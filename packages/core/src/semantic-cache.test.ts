import { describe, expect, test, vi } from 'vitest';
import type { CacheRequest } from './cache-request.js';
import type { CacheStore } from './cache-store.js';
import { encodeEntry } from './codec.js';
import { isSemcacheError } from './errors.js';
import type { CacheEvents } from './events.js';
import { MemoryStore } from './memory-store.js';
import { createSemanticCache } from './semantic-cache.js';

const ask = (text: string, extra: Partial<CacheRequest> = {}): CacheRequest => ({
  model: { provider: 'openai.chat', id: 'gpt-4.1' },
  messages: [{ role: 'user', content: [{ type: 'text', text }] }],
  ...extra,
});

const answer = (text: string) => ({
  value: { text },
  usage: { inputTokens: 10, outputTokens: 1000 },
});

describe('createSemanticCache', () => {
  test('exact hit after store, with age and estimated saving', async () => {
    const cache = createSemanticCache();
    expect((await cache.lookup(ask('What is 2 + 2?'))).kind).toBe('miss');
    expect(await cache.store(ask('What is 2 + 2?'), answer('4'))).toBe(true);
    const hit = await cache.lookup(ask('What is 2 + 2?'));
    expect(hit).toMatchObject({
      kind: 'exact',
      value: { text: '4' },
      similarity: 1,
      modelId: 'gpt-4.1',
    });
    // gpt-4.1: 10 input tokens at $2/M + 1000 output tokens at $8/M
    expect(hit.kind === 'exact' && hit.savedUsd).toBeCloseTo(0.00802, 8);
    expect(cache.stats()).toMatchObject({ exactHits: 1, misses: 1, stores: 1 });
  });

  test.each([
    ['How do I reset my password?', 'how do i reset my password'],
    ['如何重置我的密码？', '如何重置我的密码'],
    ['What is the capital of France?', 'what is the capital of france'],
  ])('near-duplicates hit semantically: %s / %s', async (stored, asked) => {
    const cache = createSemanticCache();
    await cache.store(ask(stored), answer('stored answer'));
    const hit = await cache.lookup(ask(asked));
    expect(hit.kind).toBe('semantic');
    expect(hit.kind === 'semantic' && hit.similarity).toBeGreaterThanOrEqual(0.9);
  });

  test("without a threshold the embedder's calibrated defaultThreshold applies; an explicit one wins", async () => {
    // Every text maps to the same direction but for a small tilt, so similarities are high but < 1.
    const tilted = (text: string) => {
      const v = new Float32Array([1, text.length % 7 === 0 ? 0.6 : 0.2]);
      const n = Math.hypot(v[0] as number, v[1] as number);
      return v.map((x) => x / n);
    };
    const embedder = (defaultThreshold?: number) => ({
      id: `tilted-${defaultThreshold}`,
      dimensions: 2,
      ...(defaultThreshold === undefined ? {} : { defaultThreshold }),
      embed: async (texts: readonly string[]) => texts.map(tilted),
    });
    const stored = 'abcdefg'; // length 7: tilt 0.6
    const asked = 'abcdefgh'; // length 8: tilt 0.2; cosine ≈ 0.93
    const kindWith = async (options: Parameters<typeof createSemanticCache>[0]) => {
      const cache = createSemanticCache({ guards: false, ...options });
      await cache.store(ask(stored), answer('x'));
      return (await cache.lookup(ask(asked))).kind;
    };
    expect(await kindWith({ embedder: embedder(0.9) })).toBe('semantic');
    expect(await kindWith({ embedder: embedder(0.95) })).toBe('miss');
    expect(await kindWith({ embedder: embedder(0.95), threshold: 0.9 })).toBe('semantic');
    // No calibration: the lexical embedder's 0.91 applies.
    expect(await kindWith({ embedder: embedder() })).toBe('semantic');
    expect(() => createSemanticCache({ embedder: embedder(1.5) })).toThrow(/threshold/);
  });

  test.each([
    ['turn on the kitchen light', 'turn off the kitchen light'],
    ['convert 100 USD', 'convert 1000 USD'],
    ['打开空调', '关闭空调'],
  ])('guards veto %s / %s even at threshold 0', async (stored, asked) => {
    const cache = createSemanticCache({ threshold: 0 });
    const vetoes: CacheEvents['veto'][] = [];
    cache.on('veto', (event) => vetoes.push(event));
    await cache.store(ask(stored), answer('stored'));
    expect((await cache.lookup(ask(asked))).kind).toBe('miss');
    expect(vetoes).toHaveLength(1);
    expect(cache.stats().vetoes).toBe(1);
  });

  test('semantic hits never cross tenants, namespaces, models, params or tools', async () => {
    const cache = createSemanticCache();
    await cache.store(
      ask('How do I reset my password?', { scope: { tenant: 'a' } }),
      answer('for a'),
    );
    const others: Partial<CacheRequest>[] = [
      { scope: { tenant: 'b' } },
      { scope: { tenant: 'a', namespace: 'other' } },
      { scope: { tenant: 'a' }, model: { provider: 'openai.chat', id: 'gpt-4.1-mini' } },
      { scope: { tenant: 'a' }, params: { maxOutputTokens: 5 } },
      { scope: { tenant: 'a' }, tools: [{ name: 'x' }] },
    ];
    for (const extra of others) {
      expect((await cache.lookup(ask('how do i reset my password', extra))).kind).toBe('miss');
    }
    expect(
      (await cache.lookup(ask('how do i reset my password', { scope: { tenant: 'a' } }))).kind,
    ).toBe('semantic');
  });

  test('100 concurrent getOrCompute calls run compute once and all get the answer', async () => {
    const cache = createSemanticCache();
    let computes = 0;
    const compute = async () => {
      computes++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return answer('once');
    };
    const results = await Promise.all(
      Array.from({ length: 100 }, () => cache.getOrCompute(ask('Hello?'), compute)),
    );
    expect(computes).toBe(1);
    expect(results.every((r) => (r.value as { text: string }).text === 'once')).toBe(true);
    expect(results.filter((r) => r.coalesced)).toHaveLength(99);
    expect(cache.stats().coalesced).toBe(99);
    expect((await cache.getOrCompute(ask('Hello?'), compute)).kind).toBe('exact');
    expect(computes).toBe(1);
  });

  test('a failing leader rejects every waiter, stores nothing, and the next call recomputes', async () => {
    const cache = createSemanticCache();
    let computes = 0;
    const failing = async () => {
      computes++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new Error('model down');
    };
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => cache.getOrCompute(ask('Hi'), failing)),
    );
    expect(
      results.every((r) => r.status === 'rejected' && String(r.reason).includes('model down')),
    ).toBe(true);
    expect(computes).toBe(1);
    expect(cache.stats().stores).toBe(0);
    const next = await cache.getOrCompute(ask('Hi'), async () => answer('recovered'));
    expect(next).toMatchObject({ kind: 'miss', value: { text: 'recovered' }, stored: true });
  });

  test('only normal finishes are stored', async () => {
    const cache = createSemanticCache();
    expect(await cache.store(ask('a'), { ...answer('x'), finishReason: 'length' })).toBe(false);
    expect(await cache.store(ask('b'), { ...answer('x'), finishReason: 'error' })).toBe(false);
    expect(
      await cache.store(ask('c'), { ...answer('x'), finishReason: 'stop', aborted: true }),
    ).toBe(false);
    expect(await cache.store(ask('d'), { ...answer('x'), finishReason: 'tool-calls' })).toBe(true);
    const custom = createSemanticCache({ shouldStore: (r) => r.finishReason === 'length' });
    expect(await custom.store(ask('a'), { ...answer('x'), finishReason: 'length' })).toBe(true);
  });

  test('temperature policy: sampled answers are cached only with a seed or when opted in', async () => {
    const cache = createSemanticCache();
    const hot = ask('Write a poem', { params: { temperature: 0.8 } });
    expect(await cache.store(hot, answer('poem'))).toBe(false);
    expect(await cache.lookup(hot)).toEqual({ kind: 'miss', reason: 'uncacheable' });
    expect(
      await cache.store(
        ask('Write a poem', { params: { temperature: 0.8, seed: 1 } }),
        answer('p'),
      ),
    ).toBe(true);
    expect(await cache.store(hot, answer('poem'), { cacheNonDeterministic: true })).toBe(true);
    const optedIn = createSemanticCache({ cacheNonDeterministic: true });
    expect(await optedIn.store(hot, answer('poem'))).toBe(true);
  });

  test('per-call bypass, refresh, ttlSeconds, threshold and semantic', async () => {
    vi.useFakeTimers();
    try {
      const cache = createSemanticCache();
      await cache.store(ask('Where is Paris?'), answer('old'));
      expect(await cache.lookup(ask('Where is Paris?'), { bypass: true })).toEqual({
        kind: 'miss',
        reason: 'bypass',
      });
      const refreshed = await cache.getOrCompute(
        ask('Where is Paris?'),
        async () => answer('new'),
        { refresh: true },
      );
      expect(refreshed).toMatchObject({ kind: 'miss', value: { text: 'new' }, stored: true });
      expect(await cache.lookup(ask('Where is Paris?'))).toMatchObject({
        kind: 'exact',
        value: { text: 'new' },
      });
      const bypassed = await cache.getOrCompute(
        ask('Where is Paris?'),
        async () => answer('fresh'),
        { bypass: true },
      );
      expect(bypassed).toMatchObject({
        kind: 'miss',
        reason: 'bypass',
        stored: false,
        value: { text: 'fresh' },
      });

      await cache.store(ask('short lived'), answer('x'), { ttlSeconds: 1 });
      vi.advanceTimersByTime(1001);
      expect((await cache.lookup(ask('short lived'))).kind).toBe('miss');

      await cache.store(ask('How do I reset my password?'), answer('x'));
      expect(
        (await cache.lookup(ask('how do I reset my password'), { semantic: false })).kind,
      ).toBe('miss');
      expect(
        (await cache.lookup(ask('How do I reset my pasword?'), { threshold: 0.99 })).kind,
      ).toBe('miss');
      expect((await cache.lookup(ask('How do I reset my pasword?'), { threshold: 0.5 })).kind).toBe(
        'semantic',
      );
    } finally {
      vi.useRealTimers();
    }
  });

  test('bad input gets a typed error naming the field; nothing is thrown from inside the cache', async () => {
    const cache = createSemanticCache();
    const bad: unknown[] = [
      ask(42 as unknown as string),
      ask('x', { params: { temperature: Number.NaN } }),
      { model: { provider: 'p', id: '' }, messages: [] },
      { model: { provider: 'p', id: 'm' }, messages: [{ role: 'robot', content: 'hi' }] },
    ];
    for (const request of bad) {
      const error = await cache.lookup(request as CacheRequest).catch((e: unknown) => e);
      expect(isSemcacheError(error, 'INVALID_REQUEST')).toBe(true);
    }
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const error = await cache
      .lookup(ask('x', { params: { providerOptions: circular as never } }))
      .catch((e: unknown) => e);
    expect(isSemcacheError(error, 'INVALID_REQUEST')).toBe(true);
    expect((error as Error).message).toMatch(/circular/);
    expect(() => createSemanticCache({ threshold: 1.5 })).toThrow(/threshold/);
    expect(() => createSemanticCache({ ttlSeconds: 0 })).toThrow(/ttlSeconds/);
  });

  test('a 1 MB prompt bypasses the cache instead of being hashed into a huge entry', async () => {
    const cache = createSemanticCache();
    const huge = ask('x'.repeat(1024 * 1024));
    const result = await cache.getOrCompute(huge, async () => answer('fine'));
    expect(result).toMatchObject({
      kind: 'miss',
      reason: 'too-large',
      stored: false,
      value: { text: 'fine' },
    });
    expect(cache.stats().stores).toBe(0);
  });

  test('a failing store fails open: calls succeed, errors are events, the breaker stops trying', async () => {
    let calls = 0;
    const broken: CacheStore = {
      name: 'broken',
      get: async () => {
        calls++;
        throw new Error('ECONNREFUSED');
      },
      set: async () => {
        calls++;
        throw new Error('ECONNREFUSED');
      },
      delete: async () => {},
      search: async () => [],
      clear: async () => {},
      close: async () => {},
    };
    const cache = createSemanticCache({
      store: broken,
      circuitBreaker: { failureThreshold: 3, cooldownMs: 60_000 },
    });
    const errors: CacheEvents['error'][] = [];
    cache.on('error', (event) => errors.push(event));
    for (let i = 0; i < 10; i++) {
      const result = await cache.getOrCompute(ask(`q${i}`), async () => answer('from model'));
      expect(result.value).toEqual({ text: 'from model' });
    }
    expect(calls).toBe(3);
    expect(errors).toHaveLength(3);
    expect(errors[0]!.error.code).toBe('STORE_UNAVAILABLE');
    expect(errors[0]!.error.message).toMatch(/ECONNREFUSED/);
  });

  test('a hanging store is cut off by storeTimeoutMs', async () => {
    // A store with I/O (MemoryStore, in process, has no timeouts): every get hangs.
    const memory = new MemoryStore();
    const hanging: CacheStore = {
      name: 'hanging',
      get: () => new Promise(() => {}),
      set: (namespace, record) => memory.set(namespace, record),
      delete: (namespace, key) => memory.delete(namespace, key),
      search: (namespace, query) => memory.search(namespace, query),
      clear: (namespace) => memory.clear(namespace),
      close: () => memory.close(),
    };
    const cache = createSemanticCache({ store: hanging, storeTimeoutMs: 20 });
    const result = await cache.getOrCompute(ask('q'), async () => answer('a'));
    expect(result.value).toEqual({ text: 'a' });
    expect(cache.stats().errors).toBe(1);
  });

  test('a caller that waited for another process lease reads its answer even when that GET is slow', async () => {
    // Another process holds the lease, stores the answer and releases it; the waiter's first GET
    // is quick (a miss), its re-check GET takes longer than storeTimeoutMs (a cold process).
    const shared = new MemoryStore();
    const slow = new MemoryStore();
    let gets = 0;
    slow.get = async (namespace, key) => {
      if (++gets > 1) await new Promise((resolve) => setTimeout(resolve, 120));
      return shared.get(namespace, key);
    };
    const other = createSemanticCache({ store: shared });
    Object.assign(slow, {
      coordinator: {
        tryAcquire: async () => undefined,
        waitForRelease: async () => {
          await other.store(ask('q'), answer('from the other process'));
        },
      },
    });
    const cache = createSemanticCache({ store: slow, storeTimeoutMs: 50 });
    const compute = vi.fn(async () => answer('from model'));
    const result = await cache.getOrCompute(ask('q'), compute);
    expect(compute).not.toHaveBeenCalled();
    expect(result).toMatchObject({ kind: 'exact', value: { text: 'from the other process' } });
    expect(cache.stats().errors).toBe(0);
  });

  test('a lease granted after its caller gave up is handed back when it arrives', async () => {
    // The lease reply is slower than the lease budget (1 s): the caller computes without it, and
    // the lease Redis granted meanwhile must not stall the next caller until it expires.
    const store = new MemoryStore();
    const release = vi.fn(async () => {});
    Object.assign(store, {
      coordinator: {
        tryAcquire: () => new Promise((resolve) => setTimeout(() => resolve(release), 1100)),
        waitForRelease: async () => {},
      },
    });
    const cache = createSemanticCache({ store });
    const compute = vi.fn(async () => answer('a'));
    const result = await cache.getOrCompute(ask('q'), compute);
    expect(result).toMatchObject({ kind: 'miss', value: { text: 'a' }, stored: true });
    expect(compute).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(release).toHaveBeenCalledTimes(1), { timeout: 2000 });
  });

  test('a lease is released even when the circuit breaker opened while the model answered', async () => {
    const store = new MemoryStore();
    store.set = async () => {
      throw new Error('Redis went away');
    };
    const release = vi.fn(async () => {});
    Object.assign(store, {
      coordinator: { tryAcquire: async () => release, waitForRelease: async () => {} },
    });
    const cache = createSemanticCache({ store, circuitBreaker: { failureThreshold: 1 } });
    const result = await cache.getOrCompute(ask('q'), async () => answer('a'));
    expect(result).toMatchObject({ kind: 'miss', value: { text: 'a' }, stored: false });
    expect(release).toHaveBeenCalledTimes(1);
  });

  test('a release that fails is sent once more', async () => {
    const store = new MemoryStore();
    const release = vi
      .fn<() => Promise<void>>()
      .mockRejectedValueOnce(new Error('timeout'))
      .mockResolvedValue(undefined);
    Object.assign(store, {
      coordinator: { tryAcquire: async () => release, waitForRelease: async () => {} },
    });
    const cache = createSemanticCache({ store });
    await cache.getOrCompute(ask('q'), async () => answer('a'));
    await vi.waitFor(() => expect(release).toHaveBeenCalledTimes(2));
    expect(cache.stats().errors).toBe(1);
  });

  test('a corrupt or foreign entry is a miss, deleted and counted', async () => {
    const store = new MemoryStore();
    const cache = createSemanticCache({ store });
    const { exactKey } = cache.keys(ask('q'));
    await store.set('default', { key: exactKey, payload: '{"v":1,"k":', ttlMs: 60_000 });
    expect((await cache.lookup(ask('q'))).kind).toBe('miss');
    expect(await store.get('default', exactKey)).toBeUndefined();
    expect(cache.stats().corruptEntries).toBe(1);
    const foreign = encodeEntry({
      key: 'another-key',
      value: 'wrong',
      modelId: 'm',
      createdAt: 0,
      expiresAt: Date.now() + 60_000,
    });
    await store.set('default', { key: exactKey, payload: foreign, ttlMs: 60_000 });
    expect((await cache.lookup(ask('q'))).kind).toBe('miss');
  });

  test('a throwing listener cannot break a call', async () => {
    const cache = createSemanticCache();
    cache.on('miss', () => {
      throw new Error('listener bug');
    });
    cache.on('store', () => {
      throw new Error('listener bug');
    });
    const result = await cache.getOrCompute(ask('q'), async () => answer('a'));
    expect(result.value).toEqual({ text: 'a' });
  });

  test('a failing embedder only disables semantic matching for that call', async () => {
    const cache = createSemanticCache({
      embedder: {
        id: 'broken',
        dimensions: 4,
        embed: async () => Promise.reject(new Error('quota')),
      },
    });
    const errors: CacheEvents['error'][] = [];
    cache.on('error', (event) => errors.push(event));
    expect(await cache.store(ask('q'), answer('a'))).toBe(true);
    expect((await cache.lookup(ask('q'))).kind).toBe('exact');
    expect((await cache.lookup(ask('q2'))).kind).toBe('miss');
    expect(errors.some((e) => e.error.code === 'EMBEDDER_FAILED')).toBe(true);
  });

  test('stats count hits by kind and record lookup latency', async () => {
    const cache = createSemanticCache();
    await cache.store(ask('How do I reset my password?'), answer('x'));
    await cache.lookup(ask('How do I reset my password?'));
    await cache.lookup(ask('how do i reset my password'));
    await cache.lookup(ask('something else entirely'));
    const stats = cache.stats();
    expect(stats).toMatchObject({ exactHits: 1, semanticHits: 1, misses: 1 });
    expect(stats.lookupLatency.count).toBe(3);
    expect(stats.savedUsd).toBeGreaterThan(0);
  });
});
