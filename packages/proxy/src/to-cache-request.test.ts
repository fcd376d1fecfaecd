import { createSemanticCache, type JsonObject } from '@semcache/core';
import { describe, expect, test } from 'vitest';
import { toCacheRequest } from './to-cache-request.js';

const cache = createSemanticCache();
const keysOf = (body: JsonObject, scope = {}) => cache.keys(toCacheRequest(body, scope));
const system: JsonObject = { role: 'system', content: 'Be brief.' };
const question: JsonObject = { role: 'user', content: 'What is a cache?' };
const base: JsonObject = { model: 'gpt-4.1', messages: [system, question] };

describe('toCacheRequest', () => {
  test('maps the fields the core knows to their slots and keeps the rest of the body keyed', () => {
    const request = toCacheRequest(
      {
        ...base,
        temperature: 0,
        top_p: 0.9,
        max_completion_tokens: 100,
        max_tokens: 50,
        stop: 'END',
        seed: 1,
        presence_penalty: 0.1,
        frequency_penalty: 0.2,
        reasoning_effort: 'low',
        response_format: { type: 'json_object' },
        logit_bias: { '1': 2 },
        tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
        tool_choice: 'auto',
        stream: true,
        user: 'u-1',
      },
      { tenant: 't' },
    );
    expect(request).toEqual({
      model: { provider: 'openai-compatible.chat', id: 'gpt-4.1' },
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        { role: 'user', content: [{ type: 'text', text: 'What is a cache?' }] },
      ],
      params: {
        temperature: 0,
        topP: 0.9,
        maxOutputTokens: 100,
        stopSequences: ['END'],
        seed: 1,
        presencePenalty: 0.1,
        frequencyPenalty: 0.2,
        reasoning: 'low',
        providerOptions: {
          openai: {
            max_tokens: 50,
            response_format: { type: 'json_object' },
            logit_bias: { '1': 2 },
          },
        },
      },
      tools: [{ type: 'function', function: { name: 'f', parameters: {} }, name: 'f' }],
      toolChoice: 'auto',
      scope: { tenant: 't' },
    });
  });

  test('volatile fields never change the key, so JSON and streaming calls share entries', () => {
    const key = keysOf(base).exactKey;
    for (const volatile of <JsonObject[]>[
      { stream: true, stream_options: { include_usage: true } },
      { user: 'someone' },
      { metadata: { run: '1' } },
      { store: true },
      { safety_identifier: 'x' },
      { prompt_cache_key: 'k' },
      { n: 1 },
    ]) {
      expect(keysOf({ ...base, ...volatile }).exactKey).toBe(key);
    }
  });

  test('the semantic text is the final user message; extra fields on it still split keys and contexts', () => {
    const plain = keysOf(base);
    expect(plain.semanticText).toBe('What is a cache?');
    const named = keysOf({
      ...base,
      messages: [system, { role: 'user', content: 'What is a cache?', name: 'bob' }],
    } as JsonObject);
    expect(named.semanticText).toBe('What is a cache?');
    expect(named.exactKey).not.toBe(plain.exactKey);
    expect(named.contextKey).not.toBe(plain.contextKey);
  });

  test('images and text parts with settings are keyed whole and matched exactly only', () => {
    const image = keysOf({
      model: 'gpt-4.1',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image_url', image_url: { url: 'https://example.test/a.png', detail: 'low' } },
          ],
        },
      ],
    });
    expect(image.semanticText).toBeUndefined();
    const textParts = keysOf({
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is a cache?' }] }],
    });
    expect(textParts.semanticText).toBe('What is a cache?');
  });

  test('developer and system messages are told apart', () => {
    const developer = keysOf({
      ...base,
      messages: [{ role: 'developer', content: 'Be brief.' }, question],
    } as JsonObject);
    expect(developer.exactKey).not.toBe(keysOf(base).exactKey);
  });

  test('tenants and namespaces split keys', () => {
    const key = keysOf(base).exactKey;
    expect(keysOf(base, { tenant: 'a' }).exactKey).not.toBe(key);
    expect(keysOf(base, { namespace: 'n' }).exactKey).not.toBe(key);
  });
});
