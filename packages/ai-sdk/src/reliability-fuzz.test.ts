import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
} from '@ai-sdk/provider';
import {
  createSemanticCache,
  type JsonValue,
  MemoryStore,
  type SemanticCache,
} from '@semcache/core';
import { encodeEntry, isSemcacheError, sha256Hex } from '@semcache/core/internal';
import { generateText, streamText, wrapLanguageModel } from 'ai';
import { convertArrayToReadableStream, MockLanguageModelV4 } from 'ai/test';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { semanticCacheMiddleware } from './semantic-cache-middleware.js';

/**
 * Bad input through the AI SDK middleware, fuzzed (issue 7, item 4): lone surrogates, enormous
 * prompts, NaN and Infinity in settings and provider options, non-JSON provider metadata, bad
 * per-call options, malformed call options, corrupt and future-version entries. The model is a
 * deterministic in-process fake whose answer names the request it answered, so a wrong answer is
 * visible: the context (everything but the final user text) is in the answer's first half, the
 * final user text in its second.
 *
 * Expected: the app gets what it would get without the cache — the same answer or the same
 * error — or a `SemcacheError` for invalid per-call options before the model is called. Never
 * a crash, a hang (time limits on every property) or a wrong answer.
 */

const runs = { numRuns: 40, timeout: 4_000 };

/** NFC, as the cache's keys treat strings (documented), so the fake model sees what the cache sees. */
function view(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'string'
      ? item.normalize('NFC')
      : typeof item === 'bigint'
        ? String(item)
        : item,
  );
}

/** The fake model's answer: `<context digest>::<final user text digest>`. */
function answerFor(options: LanguageModelV4CallOptions): string {
  const { prompt, abortSignal: _a, headers: _h, includeRawChunks: _r, ...settings } = options;
  const last = prompt.at(-1);
  const context = view({ settings, earlier: prompt.slice(0, -1), role: last?.role });
  return `${sha256Hex(context).slice(0, 12)}::${sha256Hex(view(last)).slice(0, 12)}`;
}

interface FakeOptions {
  providerMetadata?: () => unknown;
  response?: () => unknown;
}

function fakeModel(options: FakeOptions = {}) {
  const calls = { generate: 0, stream: 0 };
  const model = new MockLanguageModelV4({
    provider: 'fake.chat',
    modelId: 'fake-model',
    doGenerate: async (call) => {
      calls.generate++;
      return {
        content: [{ type: 'text', text: answerFor(call) }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: {
          inputTokens: { total: 3, noCache: 3, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: 5, text: 5, reasoning: 0 },
        },
        warnings: [],
        ...(options.providerMetadata
          ? {
              providerMetadata:
                options.providerMetadata() as LanguageModelV4GenerateResult['providerMetadata'],
            }
          : {}),
        ...(options.response
          ? { response: options.response() as LanguageModelV4GenerateResult['response'] }
          : {}),
      };
    },
    doStream: async (call) => {
      calls.stream++;
      const text = answerFor(call);
      const parts: LanguageModelV4StreamPart[] = [
        { type: 'stream-start', warnings: [] },
        ...(options.response
          ? [
              {
                type: 'response-metadata',
                ...(options.response() as object),
              } as LanguageModelV4StreamPart,
            ]
          : []),
        { type: 'text-start', id: '0' },
        { type: 'text-delta', id: '0', delta: text.slice(0, 5) },
        { type: 'text-delta', id: '0', delta: text.slice(5) },
        { type: 'text-end', id: '0' },
        {
          type: 'finish',
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: {
            inputTokens: { total: 3, noCache: 3, cacheRead: 0, cacheWrite: 0 },
            outputTokens: { total: 5, text: 5, reasoning: 0 },
          },
          ...(options.providerMetadata
            ? {
                providerMetadata:
                  options.providerMetadata() as LanguageModelV4GenerateResult['providerMetadata'],
              }
            : {}),
        },
      ];
      return { stream: convertArrayToReadableStream(parts) };
    },
  });
  return { model, calls };
}

function wrapped(cache: SemanticCache, model: LanguageModelV4) {
  return wrapLanguageModel({ model, middleware: semanticCacheMiddleware({ cache }) });
}

type CallArgs = {
  system?: string;
  prompt: string;
  temperature?: number;
  topP?: number;
  seed?: number;
  maxOutputTokens?: number;
  providerOptions?: Record<string, Record<string, JsonValue>>;
};

/** Text and cache status of a call, or the error it threw (as `Error: message`). */
async function run(
  model: LanguageModelV4,
  args: CallArgs,
  mode: 'generate' | 'stream',
): Promise<{ text: string; hit: string | undefined } | { error: string }> {
  try {
    if (mode === 'generate') {
      const result = await generateText({ model, maxRetries: 0, ...args });
      return {
        text: result.text,
        hit: result.providerMetadata?.semcache?.hit as string | undefined,
      };
    }
    let failure: unknown;
    const result = streamText({
      model,
      maxRetries: 0,
      ...args,
      onError: ({ error }) => {
        failure = error;
      },
    });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    if (failure !== undefined) throw failure;
    const metadata = await result.providerMetadata;
    return { text, hit: metadata?.semcache?.hit as string | undefined };
  } catch (error) {
    return { error: `${(error as Error)?.name}: ${(error as Error)?.message}` };
  }
}

const weird = fc.constantFrom(
  undefined,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -0,
  0,
  1,
  0.7,
);

const hostileJson = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom<unknown>(Number.NaN, Number.POSITIVE_INFINITY, -0, { nested: [Number.NaN] }),
);

const callArb: fc.Arbitrary<CallArgs> = fc.record(
  {
    system: fc.string({ unit: 'binary', maxLength: 20 }),
    prompt: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom(
        'How do I reset my password?',
        'how do i reset my password',
        'x\ud800',
        'x\udc00',
      ),
      // Beyond maxRequestChars (set to 4,000 below): a bypass.
      fc.integer({ min: 3_500, max: 6_000 }).map((n) => 'long prompt '.repeat(n / 12)),
    ),
    temperature: weird,
    topP: weird,
    seed: weird,
    maxOutputTokens: weird,
    providerOptions: fc.record({ fake: fc.dictionary(fc.string({ maxLength: 4 }), hostileJson) }),
  },
  { requiredKeys: ['prompt'] },
) as fc.Arbitrary<CallArgs>;

describe('hostile prompts and settings', () => {
  test('the app gets what the bare model gives — same answer or same error — and hits are never wrong', async () => {
    let hits = 0;
    let bypassed = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(callArb, fc.constantFrom<'generate' | 'stream'>('generate', 'stream')), {
          minLength: 1,
          maxLength: 6,
        }),
        async (calls) => {
          const cache = createSemanticCache({ maxRequestChars: 4_000 });
          const errors: string[] = [];
          cache.on('error', ({ error }) => errors.push(error.code));
          const { model: bare } = fakeModel();
          const { model: inner } = fakeModel();
          const model = wrapped(cache, inner);
          // Repeat the sequence so that cacheable calls hit.
          for (const [args, mode] of [...calls, ...calls]) {
            const expected = await run(bare, args, mode);
            const actual = await run(model, args, mode);
            if ('error' in expected) {
              expect(actual).toEqual(expected);
              continue;
            }
            if ('error' in actual)
              throw new Error(`the cache turned a success into ${actual.error}`);
            if (actual.hit === 'exact') hits++;
            if (actual.hit === 'semantic') {
              hits++;
              // A semantic hit comes from the same context: same settings, same earlier turns.
              expect(actual.text.split('::')[0]).toBe(expected.text.split('::')[0]);
            } else {
              expect(actual.text).toBe(expected.text);
            }
          }
          if (errors.length > 0) bypassed++;
          // Only reasons for going around the cache, never a store or decode failure.
          for (const code of errors) expect(['INVALID_REQUEST']).toContain(code);
        },
      ),
      runs,
    );
    expect(hits).toBeGreaterThan(0);
    expect(bypassed).toBeGreaterThan(0);
  });
});

const nonJson = fc.constantFrom<() => unknown>(
  () => ({ fake: { big: 10n } }),
  () => ({ fake: { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, neg: -0 } }),
  () => ({ fake: { fn: () => 1, sym: Symbol('s'), undef: undefined } }),
  () => {
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = loop;
    return { fake: loop };
  },
  () => ({
    fake: {
      map: new Map([[1, 2]]),
      set: new Set([1]),
      date: new Date(0),
      bad: new Date(Number.NaN),
    },
  }),
  () => ({ fake: { bytes: new Uint8Array([1, 2, 3]), url: new URL('https://example.com') } }),
  () => ({ fake: Object.create(null) as object }),
  () => ({ fake: 'not an object' }),
  () => [1, 2, 3],
  () => null,
);

const oddResponse = fc.constantFrom<(() => unknown) | undefined>(
  undefined,
  () => ({ id: 'r1', modelId: 'fake-model', timestamp: new Date(0) }),
  () => ({ id: 'r1', timestamp: new Date(Number.NaN) }),
  () => ({ id: 42, modelId: null }),
  () => ({}),
);

describe('provider results that are not JSON', () => {
  test('non-JSON provider metadata and odd response info never fail a call', async () => {
    await fc.assert(
      fc.asyncProperty(
        nonJson,
        oddResponse,
        fc.constantFrom<'generate' | 'stream'>('generate', 'stream'),
        async (metadata, response, mode) => {
          const cache = createSemanticCache();
          const { model: inner } = fakeModel({
            providerMetadata: metadata,
            ...(response ? { response } : {}),
          });
          const { model: bare } = fakeModel({
            providerMetadata: metadata,
            ...(response ? { response } : {}),
          });
          const model = wrapped(cache, inner);
          const args = { prompt: 'What is the answer?' };
          const expected = await run(bare, args, mode);
          for (let i = 0; i < 3; i++) {
            const actual = await run(model, args, mode);
            if ('error' in expected) expect(actual).toEqual(expected);
            else expect(actual).toMatchObject({ text: expected.text });
          }
        },
      ),
      runs,
    );
  });
});

describe('per-call options', () => {
  const optionArb = fc.record(
    {
      bypass: fc.oneof(fc.boolean(), hostileJson),
      refresh: fc.oneof(fc.boolean(), hostileJson),
      ttlSeconds: fc.oneof(
        fc.constantFrom(1, 60, 0, -1, Number.NaN, Number.POSITIVE_INFINITY),
        hostileJson,
      ),
      threshold: fc.oneof(fc.constantFrom(0, 0.5, 1, 1.5, -0.1, Number.NaN), hostileJson),
      tenant: fc.oneof(fc.string({ unit: 'binary' }), hostileJson),
      namespace: fc.oneof(fc.string({ unit: 'binary' }), hostileJson),
      semantic: fc.oneof(fc.boolean(), hostileJson),
      unknownOption: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );

  test('invalid options are an INVALID_OPTIONS SemcacheError before the model is called; valid ones answer', async () => {
    await fc.assert(
      fc.asyncProperty(
        optionArb,
        fc.constantFrom<'generate' | 'stream'>('generate', 'stream'),
        async (semcache, mode) => {
          const cache = createSemanticCache();
          const { model: inner, calls } = fakeModel();
          const model = wrapped(cache, inner);
          const args = {
            prompt: 'How do I reset my password?',
            providerOptions: { semcache: semcache as Record<string, JsonValue> },
          };
          let thrown: unknown;
          try {
            if (mode === 'generate') await generateText({ model, maxRetries: 0, ...args });
            else {
              const result = streamText({
                model,
                maxRetries: 0,
                ...args,
                onError: ({ error }) => {
                  thrown = error;
                },
              });
              for await (const _ of result.textStream) {
                // drain
              }
              await result.providerMetadata;
            }
          } catch (error) {
            // A stream reports the cause through onError first; keep that one.
            thrown ??= error;
          }
          if (thrown !== undefined) {
            expect(isSemcacheError(findSemcacheError(thrown), 'INVALID_OPTIONS')).toBe(true);
            expect(calls.generate + calls.stream).toBe(0);
          }
        },
      ),
      { ...runs, numRuns: 80 },
    );
  });

  test.each([
    ['ttlSeconds', Number.NaN],
    ['ttlSeconds', -1],
    ['ttlSeconds', 0],
    ['threshold', 1.5],
    ['threshold', Number.NaN],
  ])(
    '%s = %s: INVALID_OPTIONS before the model is called, for generate and stream alike',
    async (name, value) => {
      for (const mode of ['generate', 'stream'] as const) {
        const cache = createSemanticCache();
        const { model: inner, calls } = fakeModel();
        const model = wrapped(cache, inner);
        const outcome = await run(
          model,
          { prompt: 'hi', providerOptions: { semcache: { [name]: value } } },
          mode,
        );
        expect(outcome).toMatchObject({ error: expect.stringContaining(name) });
        expect(calls.generate + calls.stream).toBe(0);
      }
    },
  );
});

/** The SemcacheError in an error or its causes (the AI SDK may wrap errors). */
function findSemcacheError(error: unknown): unknown {
  let current = error;
  for (let i = 0; i < 5 && current; i++) {
    if (isSemcacheError(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return error;
}

describe('malformed call options reaching the middleware directly', () => {
  const partArb = fc.oneof(
    fc.record({
      type: fc.constant('text'),
      text: fc.oneof(fc.string({ unit: 'binary' }), hostileJson),
    }),
    fc.record(
      {
        type: fc.constantFrom(
          'file',
          'tool-call',
          'tool-result',
          'reasoning',
          'custom',
          'tool-approval-response',
        ),
        data: fc.oneof(fc.jsonValue(), fc.constant({ type: 'url', url: 'not a url' })),
        mediaType: fc.oneof(fc.string(), hostileJson),
        toolCallId: fc.oneof(fc.string(), hostileJson),
        toolName: fc.oneof(fc.string(), hostileJson),
        input: hostileJson,
        output: hostileJson,
      },
      { requiredKeys: ['type'] },
    ),
    hostileJson,
  );
  const promptArb = fc.oneof(
    fc.array(
      fc.oneof(
        fc.record({
          role: fc.oneof(
            fc.constantFrom('system', 'user', 'assistant', 'tool', 'developer'),
            fc.string(),
          ),
          content: fc.oneof(
            fc.array(partArb, { maxLength: 3 }),
            fc.string({ unit: 'binary' }),
            hostileJson,
          ),
          providerOptions: fc.oneof(fc.constant(undefined), hostileJson),
        }),
        hostileJson,
      ),
      { maxLength: 3 },
    ),
    hostileJson,
  );

  test('a prompt of any shape goes to the model (bypass) or is a SemcacheError — nothing else', async () => {
    const cache = createSemanticCache();
    const middleware = semanticCacheMiddleware({ cache });
    const { model } = fakeModel();
    const result: LanguageModelV4GenerateResult = {
      content: [{ type: 'text', text: 'from the model' }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: {
        inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 1, text: 1, reasoning: 0 },
      },
      warnings: [],
    };
    await fc.assert(
      fc.asyncProperty(
        promptArb,
        fc.oneof(fc.constant(undefined), fc.dictionary(fc.string(), hostileJson)),
        async (prompt, providerOptions) => {
          const params = {
            prompt,
            ...(providerOptions ? { providerOptions } : {}),
          } as unknown as LanguageModelV4CallOptions;
          try {
            const transformed =
              (await middleware.transformParams?.({ type: 'generate', params, model })) ?? params;
            const generated = await middleware.wrapGenerate?.({
              doGenerate: async () => result,
              doStream: async () => ({
                stream: convertArrayToReadableStream<LanguageModelV4StreamPart>([]),
              }),
              params: transformed,
              model,
            });
            expect(generated?.content).toEqual(result.content);
          } catch (error) {
            expect(isSemcacheError(error)).toBe(true);
          }
        },
      ),
      { ...runs, numRuns: 150 },
    );
  });
});

describe('corrupt and future-version entries', () => {
  /** Replaces the value at a random path of a stored result. */
  const corruptionArb = fc.oneof(
    fc.tuple(
      fc.constantFrom(
        [],
        ['content'],
        ['content', 0],
        ['content', 0, 'type'],
        ['content', 0, 'text'],
        ['finishReason'],
        ['finishReason', 'unified'],
        ['usage'],
        ['usage', 'inputTokens'],
        ['providerMetadata'],
        ['response'],
        ['response', 'timestamp'],
        ['response', 'id'],
        ['warnings'],
      ),
      fc.oneof(
        fc.jsonValue() as fc.Arbitrary<JsonValue>,
        fc.constantFrom<JsonValue>(null, [null], {}, 'garbage', 42, [
          { type: 'file', data: { type: 'url', url: 'not a url' } },
        ]),
      ),
    ),
  );

  function setPath(
    root: JsonValue,
    path: readonly (string | number)[],
    value: JsonValue,
  ): JsonValue {
    if (path.length === 0) return value;
    const copy = structuredClone(root) as Record<string | number, JsonValue>;
    let at: Record<string | number, JsonValue> = copy;
    for (const step of path.slice(0, -1)) {
      const next = at[step];
      if (typeof next !== 'object' || next === null) return copy as JsonValue;
      at = next as Record<string | number, JsonValue>;
    }
    at[path.at(-1) as string | number] = value;
    return copy as JsonValue;
  }

  test('a corrupted stored result is served as a valid answer or is a miss — never an exception', async () => {
    await fc.assert(
      fc.asyncProperty(
        corruptionArb,
        fc.constantFrom<'generate' | 'stream'>('generate', 'stream'),
        fc.constantFrom(1, 2),
        async ([path, value], mode, version) => {
          const store = new MemoryStore();
          const cache = createSemanticCache({ store });
          let storedKey = '';
          cache.on('store', ({ key }) => {
            storedKey = key;
          });
          const { model: inner } = fakeModel();
          const model = wrapped(cache, inner);
          const args = { prompt: 'How do I reset my password?' };
          const first = await run(model, args, 'generate');
          expect(first).toMatchObject({ hit: 'miss' });
          const raw = JSON.parse((await store.get('default', storedKey)) as string) as {
            d: JsonValue;
          };
          const corrupted = setPath(raw.d, path, value);
          await store.set('default', {
            key: storedKey,
            payload: JSON.stringify({
              ...JSON.parse(
                encodeEntry({
                  key: storedKey,
                  value: corrupted,
                  modelId: 'fake-model',
                  createdAt: Date.now(),
                  expiresAt: Date.now() + 60_000,
                }),
              ),
              v: version,
            }),
            ttlMs: 60_000,
          });
          const after = await run(model, args, mode);
          if ('error' in after) throw new Error(`a corrupt entry failed the call: ${after.error}`);
          const fromModel = 'text' in first ? first.text : '';
          // Either the model's answer, or a text the entry really holds.
          if (after.text !== fromModel) expect(JSON.stringify(corrupted)).toContain(after.text);
          if (version !== 1) expect(after.text).toBe(fromModel);
        },
      ),
      { ...runs, numRuns: 120 },
    );
  });
});
