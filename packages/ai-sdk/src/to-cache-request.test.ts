import type { LanguageModelV4CallOptions } from '@ai-sdk/provider';
import { deriveCacheKeys } from '@semcache/core/internal';
import { expect, test } from 'vitest';
import { toCacheRequest } from './to-cache-request.js';

const model = { provider: 'holysheep.chat', modelId: 'gpt-4.1' };
const params: LanguageModelV4CallOptions = {
  prompt: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
  ],
  temperature: undefined,
  toolChoice: { type: 'auto' },
};
const keyOf = (p: LanguageModelV4CallOptions) =>
  deriveCacheKeys(toCacheRequest(p, model, {})).exactKey;

test('headers, abort signals, raw-chunk flags and semcache options never change the key', () => {
  const noisy: LanguageModelV4CallOptions = {
    ...params,
    headers: { 'user-agent': 'ai/7', authorization: 'Bearer sk-live' },
    abortSignal: new AbortController().signal,
    includeRawChunks: false,
    providerOptions: { semcache: { ttlSeconds: 5 } },
  };
  expect(keyOf(noisy)).toBe(keyOf(params));
  expect(JSON.stringify(toCacheRequest(noisy, model, {}))).not.toMatch(
    /sk-live|user-agent|semcache/,
  );
});

test('toolChoice only matters when there are tools', () => {
  expect(keyOf({ ...params, toolChoice: { type: 'required' } })).toBe(keyOf(params));
  const tools: LanguageModelV4CallOptions['tools'] = [
    { type: 'function', name: 'w', inputSchema: { type: 'object' } },
  ];
  expect(keyOf({ ...params, tools, toolChoice: { type: 'required' } })).not.toBe(
    keyOf({ ...params, tools }),
  );
});

test('provider options and binary files shape the key', () => {
  expect(keyOf({ ...params, providerOptions: { openai: { reasoningEffort: 'high' } } })).not.toBe(
    keyOf(params),
  );
  const withImage = (byte: number): LanguageModelV4CallOptions => ({
    ...params,
    prompt: [
      {
        role: 'user',
        content: [
          {
            type: 'file',
            mediaType: 'image/png',
            data: { type: 'data', data: new Uint8Array([byte]) },
          },
        ],
      },
    ],
  });
  expect(keyOf(withImage(1))).not.toBe(keyOf(withImage(2)));
  expect(keyOf(withImage(1))).toBe(keyOf(withImage(1)));
});
