import type { JsonValue } from '@semcache/core';
import { isSemcacheError } from '@semcache/core/internal';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseLlmKey } from './parse-llm-key.js';

/** Writes an llmKey exactly as LangChain's `_getSerializedCacheKeyParametersForCall` does. */
function langchainKey(params: Record<string, unknown>): string {
  return Object.entries(params)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}:${JSON.stringify(value)}`)
    .sort()
    .join(',');
}

describe('parseLlmKey', () => {
  test('reads a ChatOpenAI key with values holding commas, colons and quotes', () => {
    const params = {
      _model: 'base_chat_model',
      _type: 'openai',
      model: 'gpt-4.1',
      temperature: 0.2,
      stop: ['a,b', 'c:d', '"quoted", still'],
      tools: [
        {
          type: 'function',
          function: { name: 'f', description: 'x, y: z', parameters: { type: 'object' } },
        },
      ],
      stream: false,
      seed: 3,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'T', schema: { a: [1, { b: '}' }] } },
      },
      apiKey: 'sk-secret,with:comma',
    };
    expect(parseLlmKey(langchainKey(params))).toEqual(params);
  });

  test('drops values LangChain wrote as undefined (functions)', () => {
    expect(parseLlmKey('fetch:undefined,model:"gpt-4.1"')).toEqual({ model: 'gpt-4.1' });
  });

  test('an empty key is an empty record', () => {
    expect(parseLlmKey('')).toEqual({});
  });

  test('round-trips any record of JSON values', () => {
    const key = fc.stringMatching(/^[A-Za-z_][\w]{0,12}$/);
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue() as fc.Arbitrary<JsonValue>), (params) => {
        const expected = JSON.parse(JSON.stringify(params)) as Record<string, JsonValue>;
        expect(parseLlmKey(langchainKey(params))).toEqual(expected);
      }),
    );
  });

  test.each([
    ['a pair without a colon', 'model'],
    ['an unterminated string', 'model:"gpt'],
    ['an unterminated object', 'tools:[{"a":1}'],
    ['a trailing comma', 'model:"x",'],
    ['garbage after a value', 'model:"x"y'],
    ['a value that is not JSON', 'model:gpt'],
  ])('rejects %s without quoting the key', (_name, llmKey) => {
    const secret = `${llmKey},apiKey:"sk-should-not-appear"`;
    try {
      parseLlmKey(llmKey);
      expect.unreachable();
    } catch (error) {
      expect(isSemcacheError(error, 'INVALID_REQUEST')).toBe(true);
    }
    try {
      parseLlmKey(secret.replace('model', ''));
    } catch (error) {
      expect(String(error)).not.toContain('sk-should-not-appear');
    }
  });
});
