import { describe, expect, test } from 'vitest';
import { deriveCacheKeys } from './cache-key.js';
import type { CacheRequest } from './cache-request.js';

const base: CacheRequest = {
  model: { provider: 'openai.chat', id: 'gpt-4.1' },
  messages: [
    { role: 'system', content: [{ type: 'text', text: 'You are terse.' }] },
    { role: 'user', content: [{ type: 'text', text: 'What is the capital of France?' }] },
  ],
  params: { temperature: 0, maxOutputTokens: 100 },
};

const variants: Record<string, CacheRequest> = {
  tools: {
    ...base,
    tools: [{ name: 'weather', description: 'Get weather', inputSchema: { type: 'object' } }],
  },
  responseFormat: { ...base, responseFormat: { type: 'json', schema: { type: 'object' } } },
  system: {
    ...base,
    messages: [
      { role: 'system', content: [{ type: 'text', text: 'You are verbose.' }] },
      ...base.messages.slice(1),
    ],
  },
  temperature: { ...base, params: { ...base.params, temperature: 0.7 } },
  seed: { ...base, params: { ...base.params, seed: 42 } },
  model: { ...base, model: { provider: 'openai.chat', id: 'gpt-4.1-mini' } },
  provider: { ...base, model: { provider: 'anthropic', id: 'gpt-4.1' } },
  tenant: { ...base, scope: { tenant: 'acme' } },
  namespace: { ...base, scope: { namespace: 'v2' } },
  toolChoice: { ...base, toolChoice: { type: 'required' } },
  stop: { ...base, params: { ...base.params, stopSequences: ['\n'] } },
  finalMessageOptions: {
    ...base,
    messages: [
      base.messages[0] as CacheRequest['messages'][number],
      {
        ...(base.messages[1] as CacheRequest['messages'][number]),
        providerOptions: { openai: { name: 'bob' } },
      },
    ],
  },
  finalPartOptions: {
    ...base,
    messages: [
      base.messages[0] as CacheRequest['messages'][number],
      {
        role: 'user',
        content: [
          {
            type: 'text',
            text: 'What is the capital of France?',
            providerOptions: { x: { cache: true } },
          },
        ],
      },
    ],
  },
};

describe('deriveCacheKeys', () => {
  const reference = deriveCacheKeys(base);

  test.each(Object.entries(variants))(
    'a different %s gives different exact and context keys',
    (_, variant) => {
      const keys = deriveCacheKeys(variant);
      expect(keys.exactKey).not.toBe(reference.exactKey);
      expect(keys.contextKey).not.toBe(reference.contextKey);
    },
  );

  test('a different final user turn changes the exact key but not the context key', () => {
    const keys = deriveCacheKeys({
      ...base,
      messages: [
        base.messages[0]!,
        { role: 'user', content: [{ type: 'text', text: 'What is the capital of Spain?' }] },
      ],
    });
    expect(keys.exactKey).not.toBe(reference.exactKey);
    expect(keys.contextKey).toBe(reference.contextKey);
    expect(keys.semanticText).toBe('What is the capital of Spain?');
  });

  test('an earlier turn is part of the context, so conversations never share semantic partitions', () => {
    const keys = deriveCacheKeys({
      ...base,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Talk about Spain.' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Sure.' }] },
        ...base.messages,
      ],
    });
    expect(keys.contextKey).not.toBe(reference.contextKey);
  });

  test('property order, undefined fields, -0 and Unicode normalisation do not change keys', () => {
    const reordered = {
      params: { maxOutputTokens: 100, temperature: -0, topP: undefined },
      messages: [
        { content: [{ text: 'You are terse.', type: 'text' }], role: 'system' },
        { content: [{ text: 'What is the capital of France?', type: 'text' }], role: 'user' },
      ],
      toolChoice: undefined,
      model: { id: 'gpt-4.1', provider: 'openai.chat' },
    } as CacheRequest;
    expect(deriveCacheKeys(reordered)).toEqual(reference);
    const composed = deriveCacheKeys({
      ...base,
      messages: [
        base.messages[0]!,
        { role: 'user', content: [{ type: 'text', text: 'Caf\u00e9?' }] },
      ],
    });
    const decomposed = deriveCacheKeys({
      ...base,
      messages: [
        base.messages[0]!,
        { role: 'user', content: [{ type: 'text', text: 'Cafe\u0301?' }] },
      ],
    });
    expect(decomposed.exactKey).toBe(composed.exactKey);
  });

  test('volatile fields that adapters might leave on the object never enter a key', () => {
    const noisy = {
      ...base,
      headers: { 'user-agent': 'ai/7.0', authorization: 'Bearer sk-secret' },
      abortSignal: new AbortController().signal,
    } as unknown as CacheRequest;
    expect(deriveCacheKeys(noisy).exactKey).toBe(reference.exactKey);
  });

  test('tool call ids are renumbered: random provider ids do not split the cache', () => {
    const withCall = (id: string): CacheRequest => ({
      ...base,
      messages: [
        base.messages[1]!,
        {
          role: 'assistant',
          content: [
            { type: 'tool-call', toolCallId: id, toolName: 'weather', input: { city: 'Paris' } },
          ],
        },
        {
          role: 'tool',
          content: [{ type: 'tool-result', toolCallId: id, toolName: 'weather', output: '21C' }],
        },
      ],
    });
    const a = deriveCacheKeys(withCall('call_abc'));
    expect(deriveCacheKeys(withCall('call_xyz')).exactKey).toBe(a.exactKey);
    expect(a.semanticText).toBeUndefined();
  });

  test('semantic text is the final user turn; non-text or over-long turns are exact-only', () => {
    expect(reference.semanticText).toBe('What is the capital of France?');
    const image = deriveCacheKeys({
      ...base,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'file', mediaType: 'image/png', data: 'iVBOR' },
          ],
        },
      ],
    });
    expect(image.semanticText).toBeUndefined();
    const long = deriveCacheKeys(
      {
        ...base,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'x'.repeat(3000) }] }],
      },
      { maxSemanticTextChars: 2000 },
    );
    expect(long.semanticText).toBeUndefined();
  });

  test("'conversation' policy matches the whole dialogue and keeps the system prompt in the context", () => {
    const keys = deriveCacheKeys(base, { semanticText: 'conversation' });
    expect(keys.semanticText).toBe('user: What is the capital of France?');
    const other = deriveCacheKeys(variants.system!, { semanticText: 'conversation' });
    expect(other.contextKey).not.toBe(keys.contextKey);
  });

  test('scope defaults to the default namespace', () => {
    expect(reference.namespace).toBe('default');
    expect(deriveCacheKeys(variants.tenant!).tenant).toBe('acme');
  });
});

test('tenants are compared exactly: canonically equivalent names are still different tenants', () => {
  const request: CacheRequest = { model: { provider: 'p', id: 'm' }, messages: [] };
  const composed = deriveCacheKeys({ ...request, scope: { tenant: 'caf\u00e9' } });
  const decomposed = deriveCacheKeys({ ...request, scope: { tenant: 'cafe\u0301' } });
  expect(composed.exactKey).not.toBe(decomposed.exactKey);
  expect(composed.contextKey).not.toBe(decomposed.contextKey);
});
