import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { CacheRequest } from './cache-request.js';
import type { CacheStore, StoreMatch } from './cache-store.js';
import { encodeEntry } from './codec.js';
import { isSemcacheError } from './errors.js';
import type { JsonValue } from './json.js';
import { MemoryStore } from './memory-store.js';
import { createSemanticCache, type SemanticCache } from './semantic-cache.js';

/**
 * Bad input through the core, fuzzed (issue 7, item 4). Whatever comes in — malformed requests,
 * NaN and Infinity, lone surrogates, enormous prompts, non-JSON answers, corrupt, truncated,
 * tampered or future-version entries, a misbehaving store — the cache either throws a
 * `SemcacheError` for invalid use, or answers with a bypass or a miss. It never throws anything
 * else, never hangs (every property has a time limit), and never serves a wrong answer.
 */

const runs = { numRuns: 60, timeout: 2_000 };

const ask = (text: string, extra: Partial<CacheRequest> = {}): CacheRequest => ({
  model: { provider: 'openai.chat', id: 'gpt-4.1' },
  messages: [{ role: 'user', content: [{ type: 'text', text }] }],
  ...extra,
});

/** Runs `call`; returns 'ok', or the code of the SemcacheError it threw. Anything else fails. */
async function outcome(call: () => unknown): Promise<string> {
  try {
    await call();
    return 'ok';
  } catch (error) {
    if (isSemcacheError(error)) return error.code;
    throw new Error(`not a SemcacheError: ${String(error)}`, { cause: error });
  }
}

const hostileValue = fc.oneof(
  fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withSparseArray: true,
    withTypedArray: true,
    withObjectString: true,
  }),
  fc.constantFrom<unknown>(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    Symbol('s'),
    () => 1,
    new Date(Number.NaN),
    new URL('https://example.com/x'),
    circular(),
    deep(20_000),
  ),
);

function circular(): unknown {
  const value: Record<string, unknown> = { a: 1 };
  value.self = value;
  return value;
}

/** Arrays nested `depth` deep (named for fast-check's report, which would overflow printing it). */
function deep(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = [value];
  Object.defineProperty(value, fc.toStringMethod, { value: () => `deep(${depth})` });
  return value;
}

const partArb = fc.oneof(
  fc.record({
    type: fc.constant('text'),
    text: fc.oneof(fc.string({ unit: 'binary' }), hostileValue),
  }),
  fc.record({
    type: fc.constantFrom('file', 'tool-call', 'tool-result', 'reasoning', 'image', ''),
    text: hostileValue,
    mediaType: hostileValue,
    data: hostileValue,
    toolCallId: hostileValue,
    toolName: hostileValue,
    input: hostileValue,
    output: hostileValue,
  }),
  hostileValue,
);

const messageArb = fc.oneof(
  fc.record({
    role: fc.oneof(fc.constantFrom('system', 'user', 'assistant', 'tool'), hostileValue),
    content: fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.array(partArb, { maxLength: 3 }),
      hostileValue,
    ),
    providerOptions: hostileValue,
  }),
  hostileValue,
);

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const textArb = fc.string({ unit: 'binary', maxLength: 40 });

const validMessageArb = fc.oneof(
  fc.record({
    role: fc.constantFrom('system', 'user', 'assistant', 'tool'),
    content: fc.oneof(
      textArb,
      fc.array(fc.record({ type: fc.constantFrom('text', 'reasoning'), text: textArb }), {
        maxLength: 3,
      }),
    ),
  }),
  fc.record({
    role: fc.constant('assistant'),
    content: fc.array(
      fc.record({
        type: fc.constantFrom('tool-call', 'tool-result'),
        toolCallId: textArb,
        toolName: textArb,
        input: fc.jsonValue(),
        output: fc.jsonValue(),
      }),
      { maxLength: 2 },
    ),
  }),
);

const validRequestArb = fc.record(
  {
    model: fc.record({ provider: fc.string(), id: fc.string({ minLength: 1, unit: 'binary' }) }),
    messages: fc.array(validMessageArb, { maxLength: 3 }),
    params: fc.record(
      {
        temperature: finite,
        topP: finite,
        seed: fc.integer(),
        maxOutputTokens: fc.nat(),
        stopSequences: fc.array(textArb, { maxLength: 2 }),
        providerOptions: fc.dictionary(fc.string(), fc.jsonValue()),
      },
      { requiredKeys: [] },
    ),
    tools: fc.array(fc.record({ name: textArb, inputSchema: fc.jsonValue() }), { maxLength: 2 }),
    scope: fc.record({ tenant: textArb, namespace: textArb }, { requiredKeys: [] }),
  },
  { requiredKeys: ['model', 'messages'] },
);

/** A valid request with one field, anywhere, replaced by something hostile. */
const oneBadFieldArb = fc
  .tuple(
    validRequestArb,
    fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 4 }),
    hostileValue,
  )
  .map(([request, path, bad]) => {
    const copy = structuredClone(request) as Record<string, unknown>;
    let at: Record<string, unknown> = copy;
    for (const name of path.slice(0, -1)) {
      const next = at[name];
      if (typeof next !== 'object' || next === null) break;
      at = next as Record<string, unknown>;
    }
    at[path.at(-1) as string] = bad;
    return copy;
  });

/** Requests of every malformed shape, and well-formed ones. */
const requestArb = fc.oneof(
  validRequestArb,
  oneBadFieldArb,
  hostileValue,
  fc.record(
    {
      model: fc.oneof(
        fc.record({ provider: fc.string(), id: fc.string({ unit: 'binary' }) }),
        hostileValue,
      ),
      messages: fc.oneof(fc.array(messageArb, { maxLength: 3 }), hostileValue),
      params: fc.oneof(
        fc.record(
          {
            temperature: hostileValue,
            topP: fc.double(),
            seed: fc.oneof(fc.double(), hostileValue),
            maxOutputTokens: fc.double(),
            stopSequences: hostileValue,
            providerOptions: hostileValue,
          },
          { requiredKeys: [] },
        ),
        hostileValue,
      ),
      tools: hostileValue,
      toolChoice: hostileValue,
      responseFormat: hostileValue,
      scope: fc.oneof(
        fc.record({ tenant: hostileValue, namespace: hostileValue }, { requiredKeys: [] }),
        hostileValue,
      ),
    },
    { requiredKeys: [] },
  ),
);

describe('malformed requests', () => {
  test('every entry point throws a SemcacheError (INVALID_REQUEST / INVALID_OPTIONS) or answers', async () => {
    const cache = createSemanticCache();
    const codes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(requestArb, async (input) => {
        const request = input as CacheRequest;
        let computed = 0;
        const compute = async () => {
          computed++;
          return { value: 'model answer' };
        };
        for (const call of [
          () => cache.keys(request),
          () => cache.cacheability(request),
          () => cache.lookup(request),
          () => cache.store(request, { value: 'x' }),
          () => cache.getOrCompute(request, compute),
        ]) {
          const code = await outcome(call);
          codes.add(code);
          expect(['ok', 'INVALID_REQUEST', 'INVALID_OPTIONS']).toContain(code);
        }
        // An invalid request never reaches the model through getOrCompute either.
        if ((await outcome(() => cache.keys(request))) !== 'ok') expect(computed).toBe(0);
      }),
      { ...runs, numRuns: 300 },
    );
    expect(codes).toContain('INVALID_REQUEST');
    expect(codes).toContain('ok');
    expect(cache.stats().errors).toBe(0);
  });

  test.each([
    ['temperature', Number.NaN],
    ['topP', Number.POSITIVE_INFINITY],
    ['seed', Number.NEGATIVE_INFINITY],
    ['maxOutputTokens', Number.NaN],
  ])('params.%s = %s is INVALID_REQUEST naming the field', async (name, value) => {
    const cache = createSemanticCache();
    const request = ask('hi', { params: { [name]: value } });
    await expect(cache.lookup(request)).rejects.toSatisfy(
      (error) => isSemcacheError(error, 'INVALID_REQUEST') && error.message.includes(name),
    );
  });

  test('data nested 20,000 deep is INVALID_REQUEST, not a stack overflow', async () => {
    const cache = createSemanticCache();
    for (const request of [
      ask('hi', { params: { providerOptions: { deep: deep(20_000) as JsonValue } } }),
      ask('hi', { tools: [{ name: 't', inputSchema: deep(20_000) as JsonValue }] }),
    ]) {
      expect(await outcome(() => cache.lookup(request))).toBe('INVALID_REQUEST');
      expect(await outcome(() => cache.getOrCompute(request, async () => ({ value: 1 })))).toBe(
        'INVALID_REQUEST',
      );
    }
  });

  test('NaN or Infinity deep inside provider options or tool schemas is INVALID_REQUEST', async () => {
    const cache = createSemanticCache();
    for (const request of [
      ask('hi', { params: { providerOptions: { x: { y: [1, Number.NaN] } } } }),
      ask('hi', { tools: [{ name: 't', inputSchema: { maximum: Number.POSITIVE_INFINITY } }] }),
    ]) {
      await expect(cache.getOrCompute(request, async () => ({ value: 1 }))).rejects.toSatisfy(
        (error) => isSemcacheError(error, 'INVALID_REQUEST'),
      );
    }
  });
});

describe('enormous requests bypass the cache', () => {
  test('beyond maxRequestChars: no lookup, no store, the model is called every time', async () => {
    const maxRequestChars = 4_000;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 3_000, max: 5_000 }), async (length) => {
        const touched: string[] = [];
        const inner = new MemoryStore();
        const store: CacheStore = {
          name: 'spy',
          get: (n, k) => {
            touched.push('get');
            return inner.get(n, k);
          },
          set: (n, r) => {
            touched.push('set');
            return inner.set(n, r);
          },
          delete: (n, k) => inner.delete(n, k),
          search: (n, q) => {
            touched.push('search');
            return inner.search(n, q);
          },
          clear: (n) => inner.clear(n),
          close: () => inner.close(),
        };
        const cache = createSemanticCache({ store, maxRequestChars });
        const request = ask('x'.repeat(length));
        const tooLarge = cache.keys(request).size > maxRequestChars;
        let calls = 0;
        for (let i = 0; i < 2; i++) {
          const result = await cache.getOrCompute(request, async () => ({ value: ++calls }));
          if (tooLarge)
            expect(result).toMatchObject({ kind: 'miss', reason: 'too-large', stored: false });
        }
        if (tooLarge) {
          expect(calls).toBe(2);
          expect(touched).toEqual([]);
          expect(await cache.store(request, { value: 'x' })).toBe(false);
        } else {
          expect(calls).toBe(1);
        }
      }),
      runs,
    );
  });

  test('a 600,000-character prompt under the default limit is a bypass, not a hang', async () => {
    const cache = createSemanticCache();
    const request = ask(`${'word '.repeat(120_000)}?`);
    const result = await cache.getOrCompute(request, async () => ({ value: 'answer' }));
    expect(result).toMatchObject({ kind: 'miss', reason: 'too-large', stored: false });
  });
});

describe('invalid UTF-16 and unusual text', () => {
  test('an exact hit is only ever the same request (NFC), and values round-trip exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 12 }),
        fc.string({ unit: 'binary', maxLength: 12 }),
        fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as JsonValue),
        fc.boolean(),
        async (stored, asked, value, encrypted) => {
          const cache = createSemanticCache(
            encrypted ? { encryption: { key: randomBytes(32) } } : {},
          );
          const withSurrogate = `${stored}\ud800`;
          await cache.store(ask(withSurrogate), { value: { v: value, s: withSurrogate } });
          const same = await cache.lookup(ask(withSurrogate));
          expect(same).toMatchObject({ kind: 'exact', value: { v: value, s: withSurrogate } });
          const other = await cache.lookup(ask(asked));
          if (other.kind === 'exact') {
            expect(asked.normalize('NFC')).toBe(withSurrogate.normalize('NFC'));
          }
          // Lone surrogates differ from each other and from U+FFFD.
          for (const near of [`${stored}\udc00`, `${stored}\ufffd`]) {
            expect((await cache.lookup(ask(near))).kind).not.toBe('exact');
          }
        },
      ),
      runs,
    );
  });
});

describe('answers that are not JSON', () => {
  test('are stored as their JSON form or not at all — never an exception', async () => {
    await fc.assert(
      fc.asyncProperty(hostileValue, async (value) => {
        const cache = createSemanticCache();
        const request = ask('What is the answer?');
        const result = await cache.getOrCompute(request, async () => ({
          value: value as JsonValue,
        }));
        // The caller gets exactly what the model produced.
        expect(result.value).toBe(value);
        const again = await cache.lookup(request);
        if (again.kind === 'exact') {
          expect(again.value).toEqual(JSON.parse(JSON.stringify(value)));
        } else {
          expect(result.kind === 'miss' && result.stored).toBe(false);
        }
      }),
      runs,
    );
  });
});

/** Mutations of a stored payload. */
const mutationArb = fc.oneof(
  fc.nat().map((n) => (p: string) => p.slice(0, n % Math.max(1, p.length))),
  fc
    .tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }))
    .map(([n, c]) => (p: string) => {
      const at = n % Math.max(1, p.length);
      return `${p.slice(0, at)}${c}${p.slice(at + 1)}`;
    }),
  fc.string({ unit: 'binary' }).map((s) => () => s),
  fc.jsonValue().map((v) => () => JSON.stringify(v)),
  fc
    .record(
      {
        v: fc.oneof(fc.constantFrom(1, 2, 99, 0, '1', null), fc.jsonValue()),
        k: fc.oneof(fc.constant('same'), fc.string()),
        m: fc.oneof(fc.string(), fc.jsonValue()),
        c: fc.oneof(fc.integer(), fc.jsonValue()),
        e: fc.oneof(fc.constant('future'), fc.constant('past'), fc.jsonValue()),
        t: fc.oneof(fc.string(), fc.jsonValue()),
        u: fc.jsonValue(),
        d: fc.jsonValue(),
      },
      { requiredKeys: [] },
    )
    .map((fields) => (p: string) => {
      const original = safeParse(p) as Record<string, unknown> | undefined;
      const envelope: Record<string, unknown> = { ...fields };
      if (fields.k === 'same') envelope.k = original?.k;
      if (fields.e === 'future') envelope.e = Date.now() + 60_000;
      if (fields.e === 'past') envelope.e = Date.now() - 1;
      return JSON.stringify(envelope);
    }),
);

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A well-formed current-version envelope for `key` that may be served, per the codec's rules. */
function servable(payload: string, key: string): { value: JsonValue; text: unknown } | undefined {
  const envelope = safeParse(payload) as Record<string, unknown> | undefined;
  if (
    typeof envelope !== 'object' ||
    envelope === null ||
    Array.isArray(envelope) ||
    envelope.v !== 1 ||
    envelope.k !== key ||
    typeof envelope.m !== 'string' ||
    typeof envelope.c !== 'number' ||
    typeof envelope.e !== 'number' ||
    !(envelope.e > Date.now()) ||
    !('d' in envelope) ||
    (envelope.t !== undefined && typeof envelope.t !== 'string') ||
    (envelope.u !== undefined && (typeof envelope.u !== 'object' || envelope.u === null))
  ) {
    return undefined;
  }
  return { value: envelope.d as JsonValue, text: envelope.t };
}

describe('corrupt, truncated, tampered and future-version entries', () => {
  test('plaintext: a lookup serves only a well-formed current entry of the same key; the rest are misses', async () => {
    await fc.assert(
      fc.asyncProperty(mutationArb, async (mutate) => {
        const store = new MemoryStore();
        const cache = createSemanticCache({ store });
        const request = ask('How do I reset my password?');
        await cache.store(request, { value: 'the real answer' });
        const { exactKey } = cache.keys(request);
        const payload = mutate((await store.get('default', exactKey)) as string);
        await store.set('default', {
          key: exactKey,
          payload,
          ttlMs: 60_000,
          index: {
            partition: `${cache.embedder.id}:${cache.keys(request).contextKey}`,
            vector: (
              await cache.embedder.embed(['How do I reset my password?'])
            )[0] as Float32Array,
          },
        });
        const expected = servable(payload, exactKey);
        const exact = await cache.lookup(request);
        if (expected) expect(exact).toMatchObject({ kind: 'exact', value: expected.value });
        else expect(exact.kind).toBe('miss');

        const reworded = await cache.lookup(ask('how do i reset my password'));
        if (reworded.kind !== 'miss') {
          expect(expected && typeof expected.text === 'string').toBe(true);
          expect(reworded.value).toEqual(expected?.value);
        }
      }),
      { ...runs, numRuns: 200 },
    );
  });

  test('encrypted: any change to a stored entry is never served as something else', async () => {
    const key = randomBytes(32);
    await fc.assert(
      fc.asyncProperty(mutationArb, fc.boolean(), async (mutate, semantic) => {
        const store = new MemoryStore();
        const cache = createSemanticCache({ store, encryption: { key } });
        const request = ask('How do I reset my password?');
        await cache.store(request, { value: 'the real answer' });
        const { exactKey } = cache.keys(request);
        const original = (await store.get('default', exactKey)) as string;
        const payload = mutate(original);
        await store.set('default', { key: exactKey, payload, ttlMs: 60_000 });
        const found = await cache.lookup(semantic ? ask('how do i reset my password') : request);
        if (found.kind !== 'miss') expect(found.value).toBe('the real answer');
        else if (payload !== original) expect(cache.stats().corruptEntries).toBeLessThanOrEqual(1);
      }),
      { ...runs, numRuns: 200 },
    );
  });

  test('an entry of a future envelope version or key schema is a miss, and the app gets the model answer', async () => {
    const store = new MemoryStore();
    const cache = createSemanticCache({ store });
    const request = ask('How do I reset my password?');
    const { exactKey } = cache.keys(request);
    const future = JSON.parse(
      encodeEntry({
        key: exactKey,
        value: 'from the future',
        modelId: 'gpt-4.1',
        createdAt: Date.now(),
        expiresAt: Date.now() + 60_000,
      }),
    ) as Record<string, unknown>;
    await store.set('default', {
      key: exactKey,
      payload: JSON.stringify({ ...future, v: 2, newField: { nested: true } }),
      ttlMs: 60_000,
    });
    const result = await cache.getOrCompute(request, async () => ({ value: 'model answer' }));
    expect(result).toMatchObject({ kind: 'miss', value: 'model answer' });
    // A future key schema hashes to other keys: its entries are never looked up at all.
    await store.set('default', {
      key: 'f'.repeat(64),
      payload: JSON.stringify({ ...future, k: 'f'.repeat(64) }),
      ttlMs: 60_000,
    });
    expect(await cache.lookup(request)).toMatchObject({ kind: 'exact', value: 'model answer' });
  });
});

describe('a misbehaving store', () => {
  type Behaviour = 'ok' | 'hang' | 'reject' | 'throw' | 'garbage';
  const behaviourArb = fc.constantFrom<Behaviour>('ok', 'hang', 'reject', 'throw', 'garbage');

  function misbehaving(
    inner: MemoryStore,
    b: Record<'get' | 'set' | 'search', Behaviour>,
    junk: unknown,
  ) {
    const act = <T>(behaviour: Behaviour, real: () => Promise<T>): Promise<T> => {
      switch (behaviour) {
        case 'hang':
          return new Promise<T>(() => {});
        case 'reject':
          return Promise.reject(new Error('store down'));
        case 'throw':
          throw new Error('store threw synchronously');
        case 'garbage':
          return Promise.resolve(junk as T);
        default:
          return real();
      }
    };
    const store: CacheStore = {
      name: 'misbehaving',
      get: (n, k) => act(b.get, () => inner.get(n, k)),
      set: (n, r) => act(b.set, () => inner.set(n, r)),
      delete: (n, k) => inner.delete(n, k),
      search: (n, q) => act(b.search, () => inner.search(n, q)),
      clear: (n) => inner.clear(n),
      close: () => inner.close(),
    };
    return store;
  }

  const junkArb = fc.oneof(
    hostileValue,
    fc.array(
      fc.oneof(
        hostileValue,
        fc.record({
          key: fc.oneof(fc.string(), hostileValue),
          payload: fc.oneof(fc.string(), hostileValue),
          similarity: fc.oneof(fc.double(), hostileValue),
        }),
      ),
      { maxLength: 3 },
    ),
  );

  test('hangs, rejections, synchronous throws and garbage results are misses within the timeout', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ get: behaviourArb, set: behaviourArb, search: behaviourArb }),
        junkArb,
        async (behaviours, junk) => {
          const inner = new MemoryStore();
          const cache: SemanticCache = createSemanticCache({
            store: misbehaving(inner, behaviours, junk),
            storeTimeoutMs: 20,
            searchTimeoutMs: 20,
          });
          const first = await cache.getOrCompute(ask('How do I reset my password?'), async () => ({
            value: 'answer',
          }));
          expect(first.value).toBe('answer');
          const found = await cache.lookup(ask('how do i reset my password'));
          // Only something this cache stored may be served.
          if (found.kind !== 'miss') expect(found.value).toBe('answer');
        },
      ),
      runs,
    );
  });

  test('search results of another key are not served as this request', async () => {
    const inner = new MemoryStore();
    const cache = createSemanticCache({ store: inner });
    await cache.store(ask('What is the capital of France?'), { value: 'Paris' });
    const { exactKey } = cache.keys(ask('What is the capital of France?'));
    const payload = (await inner.get('default', exactKey)) as string;
    const lying: CacheStore = {
      ...inner,
      name: 'lying',
      get: async () => payload,
      search: async (): Promise<StoreMatch[]> => [{ key: 'another-key', payload, similarity: 1 }],
      set: (n, r) => inner.set(n, r),
      delete: (n, k) => inner.delete(n, k),
      clear: (n) => inner.clear(n),
      close: () => inner.close(),
    };
    const other = createSemanticCache({ store: lying });
    // `get` returns an entry whose key is another request's: not served.
    expect((await other.lookup(ask('How do I reset my password?'))).kind).toBe('miss');
  });
});
