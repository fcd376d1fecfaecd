import { createHash } from 'node:crypto';
import type { BaseChatModelParams } from '@langchain/core/language_models/chat_models';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import {
  AIMessage,
  type BaseMessage,
  ChatMessage,
  getBufferString,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import {
  type SemanticCache as CoreSemanticCache,
  createSemanticCache,
  type JsonValue,
  MemoryStore,
} from '@semcache/core';
import { encodeEntry } from '@semcache/core/internal';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { readCacheInfo } from './cache-info.js';
import { SemanticCache } from './semantic-cache.js';
import { withSemanticCache } from './with-semantic-cache.js';

/**
 * Bad input through the LangChain adapter, fuzzed (issue 7, item 4): arbitrary prompts and
 * `llmKey`s handed to the cache, lone surrogates, enormous prompts, NaN and Infinity in model
 * settings and call options, odd message kinds, corrupt and future-version entries. The model is
 * a deterministic in-process fake whose answer names what it answered — the context (settings
 * and earlier messages) in the first half, the final message in the second — so a wrong answer is
 * visible.
 *
 * Expected: the app gets what it would get without the cache — the same answer or the same
 * error — never a crash, a hang (time limits on every property) or a wrong answer.
 */

const runs = { numRuns: 40, timeout: 4_000 };

const digest = (value: string) =>
  createHash('sha256').update(value.normalize('NFC')).digest('hex').slice(0, 12);

interface FakeFields extends BaseChatModelParams {
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  seed?: number;
}

/** Answers `<digest of settings and earlier messages>::<digest of the final message>`. */
class EchoChat extends BaseChatModel {
  temperature: number | undefined;
  maxTokens: number | undefined;
  topP: number | undefined;
  seed: number | undefined;
  calls = 0;

  constructor(fields: FakeFields = {}) {
    super(fields);
    this.temperature = fields.temperature;
    this.maxTokens = fields.maxTokens;
    this.topP = fields.topP;
    this.seed = fields.seed;
  }

  _llmType(): string {
    return 'echo';
  }

  override invocationParams(): Record<string, unknown> {
    return {
      model: 'echo-1',
      temperature: this.temperature,
      max_tokens: this.maxTokens,
      top_p: this.topP,
      seed: this.seed,
    };
  }

  override _identifyingParams(): Record<string, unknown> {
    return this.invocationParams();
  }

  async _generate(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'],
  ): Promise<ChatResult> {
    this.calls++;
    // What LangChain's own caches see of a call: the settings and the flattened prompt.
    const settings = JSON.stringify({ ...this.invocationParams(), stop: options.stop });
    const context = digest(`${settings}\n${getBufferString(messages.slice(0, -1))}`);
    const text = `${context}::${digest(getBufferString(messages.slice(-1)))}`;
    return {
      generations: [
        {
          text,
          message: new AIMessage({ content: text, response_metadata: { finish_reason: 'stop' } }),
          generationInfo: { finish_reason: 'stop' },
        },
      ],
    };
  }
}

const weird = fc.constantFrom(
  undefined,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -0,
  0,
  0.7,
  5,
);
const textArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    'How do I reset my password?',
    'how do i reset my password',
    'x\ud800',
    'x\udc00',
  ),
  // Beyond maxRequestChars (set to 4,000 below): a bypass.
  fc.integer({ min: 3_500, max: 6_000 }).map((n) => 'long prompt '.repeat(n / 12)),
);

const messageArb: fc.Arbitrary<BaseMessage> = fc.oneof(
  textArb.map((text) => new HumanMessage(text)),
  textArb.map((text) => new SystemMessage(text)),
  textArb.map((text) => new AIMessage(text)),
  fc.tuple(textArb, fc.string({ maxLength: 8 })).map(([text, role]) => new ChatMessage(text, role)),
  fc
    .tuple(
      fc.string({ maxLength: 8 }),
      fc.constantFrom<unknown>(Number.NaN, { a: [1, Number.POSITIVE_INFINITY] }, 'x'),
    )
    .map(
      ([name, args]) =>
        new AIMessage({
          content: '',
          tool_calls: [{ id: 'call_1', name, args: { value: args } as Record<string, unknown> }],
        }),
    ),
  textArb.map((text) => new ToolMessage({ content: text, tool_call_id: 'call_1' })),
  fc.constant(
    new HumanMessage({
      content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
      ],
    }),
  ),
  textArb.map(
    (text) => new HumanMessage({ content: text, additional_kwargs: { nan: Number.NaN } }),
  ),
);

const callArb = fc.record({
  fields: fc.record({ temperature: weird, maxTokens: weird, topP: weird, seed: weird }),
  messages: fc.array(messageArb, { minLength: 1, maxLength: 3 }),
  stop: fc.option(fc.array(fc.string({ unit: 'binary', maxLength: 4 }), { maxLength: 2 }), {
    nil: undefined,
  }),
  mode: fc.constantFrom<'invoke' | 'stream'>('invoke', 'stream'),
});
type Call = typeof callArb extends fc.Arbitrary<infer T> ? T : never;

/** Text and cache status of one call, or the error it threw. */
async function run(
  core: CoreSemanticCache | undefined,
  call: Call,
): Promise<{ text: string; hit: string | undefined } | { error: string }> {
  const model = new EchoChat(clean(call.fields));
  try {
    const options = call.stop ? { stop: call.stop } : {};
    if (call.mode === 'invoke') {
      const llm = core
        ? new EchoChat({ ...clean(call.fields), cache: new SemanticCache({ cache: core }) })
        : model;
      const reply = await llm.invoke(call.messages, options);
      return { text: reply.text, hit: readCacheInfo(reply)?.hit };
    }
    const runnable = core ? withSemanticCache(model, { cache: core }) : model;
    let text = '';
    let hit: string | undefined;
    for await (const chunk of await runnable.stream(call.messages, options)) {
      text += chunk.text;
      hit ??= readCacheInfo(chunk)?.hit;
    }
    return { text, hit };
  } catch (error) {
    return { error: `${(error as Error)?.name}: ${(error as Error)?.message}` };
  }
}

function clean(fields: Call['fields']): FakeFields {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

describe('hostile prompts and settings through a chat model', () => {
  test('the app gets what the bare model gives — same answer or same error — and hits are never wrong', async () => {
    let hits = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(callArb, { minLength: 1, maxLength: 5 }), async (calls) => {
        const core = createSemanticCache({ maxRequestChars: 4_000 });
        const problems: string[] = [];
        core.on('error', ({ operation, error }) => {
          if (error.code !== 'INVALID_REQUEST') problems.push(`${operation}: ${error.message}`);
        });
        for (const call of [...calls, ...calls]) {
          const expected = await run(undefined, call);
          const actual = await run(core, call);
          if ('error' in expected) {
            expect(actual).toEqual(expected);
            continue;
          }
          if ('error' in actual) throw new Error(`the cache turned a success into ${actual.error}`);
          if (actual.hit === 'exact' || actual.hit === 'semantic') hits++;
          if (actual.hit === 'semantic') {
            expect(actual.text.split('::')[0]).toBe(expected.text.split('::')[0]);
          } else {
            expect(actual.text).toBe(expected.text);
          }
        }
        expect(problems).toEqual([]);
      }),
      runs,
    );
    expect(hits).toBeGreaterThan(0);
  });
});

describe('arbitrary input handed to the cache', () => {
  const llmKeyArb = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc
      .dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.jsonValue(), fc.constant(undefined)))
      .map((fields) =>
        Object.entries(fields)
          .map(([k, v]) => `${k}:${JSON.stringify(v)}`)
          .sort()
          .join(','),
      ),
    fc.constantFrom(
      '_type:"openai",_model:"base_chat_model",model:"gpt-4.1",temperature:0',
      '_type:"openai",model:"gpt-4.1",temperature:NaN',
      '_type:"openai",model:"gpt-4.1",apiKey:"sk-',
      '_type:"openai",,model:"gpt-4.1"',
      `_type:"openai",model:${'['.repeat(50_000)}`,
      'model:"gpt-4.1",__proto__:{"polluted":true}',
    ),
  );
  const promptArb = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc
      .array(
        fc.tuple(
          fc.constantFrom('System: ', 'Human: ', 'AI: ', 'Tool: ', 'Other: ', ''),
          fc.string({ unit: 'binary' }),
        ),
        { maxLength: 4 },
      )
      .map((lines) => lines.map(([role, text]) => `${role}${text}`).join('\n')),
    fc.constant(`Human: ${'x'.repeat(600_000)}`),
    fc.constant(
      'AI: {"tool_calls":[{"name":"t","args":{"deep":' +
        '['.repeat(20_000) +
        ']'.repeat(20_000) +
        '}}]}\nHuman: hi',
    ),
  );

  test('lookup and update never throw, whatever prompt and llmKey LangChain passes', async () => {
    const core = createSemanticCache();
    const cache = new SemanticCache({ cache: core });
    await fc.assert(
      fc.asyncProperty(promptArb, llmKeyArb, fc.string(), async (prompt, llmKey, answer) => {
        const before = await cache.lookup(prompt, llmKey);
        expect(before === null || Array.isArray(before)).toBe(true);
        await cache.update(prompt, llmKey, [{ text: answer }]);
        const after = await cache.lookup(prompt, llmKey);
        if (after !== null) expect(after[0]?.text).toBe(answer);
      }),
      { ...runs, numRuns: 150 },
    );
    expect({} as Record<string, unknown>).not.toHaveProperty('polluted');
  });
});

describe('corrupt and future-version entries', () => {
  const paths: ReadonlyArray<readonly (string | number)[]> = [
    [],
    ['generations'],
    ['generations', 0],
    ['generations', 0, 'text'],
    ['generations', 0, 'message'],
    ['generations', 0, 'message', 'type'],
    ['generations', 0, 'message', 'data'],
    ['generations', 0, 'message', 'data', 'content'],
    ['generations', 0, 'message', 'data', 'tool_calls'],
    ['generations', 0, 'message', 'data', 'response_metadata'],
    ['generations', 0, 'message', 'data', 'usage_metadata'],
    ['generations', 0, 'info'],
  ];
  const valueArb = fc.oneof(
    fc.jsonValue() as fc.Arbitrary<JsonValue>,
    fc.constantFrom<JsonValue>(null, [], {}, 'garbage', 42, [{ type: 'unknown' }], [null], {
      type: 'human',
      data: {},
    }),
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

  test('a corrupted stored generation is served as a valid answer or is a miss — never an exception', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        valueArb,
        fc.constantFrom<'invoke' | 'stream'>('invoke', 'stream'),
        fc.constantFrom(1, 2),
        async (path, value, mode, version) => {
          const store = new MemoryStore();
          const core = createSemanticCache({ store });
          let storedKey = '';
          core.on('store', ({ key }) => {
            storedKey = key;
          });
          const call: Call = {
            fields: { temperature: 0, maxTokens: undefined, topP: undefined, seed: undefined },
            messages: [new HumanMessage('How do I reset my password?')],
            stop: undefined,
            mode: 'invoke',
          };
          const first = await run(core, call);
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
                  modelId: 'echo-1',
                  createdAt: Date.now(),
                  expiresAt: Date.now() + 60_000,
                }),
              ),
              v: version,
            }),
            ttlMs: 60_000,
          });
          const after = await run(core, { ...call, mode });
          if ('error' in after) throw new Error(`a corrupt entry failed the call: ${after.error}`);
          const fromModel = 'text' in first ? first.text : '';
          if (after.text !== fromModel) expect(JSON.stringify(corrupted)).toContain(after.text);
          if (version !== 1) expect(after.text).toBe(fromModel);
        },
      ),
      { ...runs, numRuns: 120 },
    );
  });
});
