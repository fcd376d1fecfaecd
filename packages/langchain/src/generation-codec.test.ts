import { AIMessage } from '@langchain/core/messages';
import type { ChatGeneration } from '@langchain/core/outputs';
import { describe, expect, test } from 'vitest';
import type { CacheInfo } from './cache-info.js';
import { decodeGenerations, encodeGenerations, normalizeFinishReason } from './generation-codec.js';

const info: CacheInfo = { hit: 'exact', similarity: 1, ageMs: 5 };

function generation(): ChatGeneration {
  const message = new AIMessage({
    id: 'chatcmpl-123',
    content: 'It is sunny.',
    tool_calls: [{ id: 'call_1', name: 'get_weather', args: { city: 'Paris' }, type: 'tool_call' }],
    additional_kwargs: { refusal: null },
    response_metadata: {
      finish_reason: 'tool_calls',
      model_name: 'gpt-4.1-2025-04-14',
      tokenUsage: { totalTokens: 30 },
    },
    usage_metadata: { input_tokens: 10, output_tokens: 20, total_tokens: 30 },
  });
  return { text: message.text, message, generationInfo: { finish_reason: 'tool_calls' } };
}

describe('encodeGenerations / decodeGenerations', () => {
  test('round-trip content, tool calls, metadata and generation info', () => {
    const encoded = encodeGenerations([generation()], 'gpt-4.1');
    expect(encoded).toMatchObject({
      modelId: 'gpt-4.1-2025-04-14',
      usage: { inputTokens: 10, outputTokens: 20 },
      finishReason: 'tool-calls',
    });
    const [decoded] = decodeGenerations(encoded?.value ?? null, info) ?? [];
    const message = (decoded as ChatGeneration).message as AIMessage;
    expect(AIMessage.isInstance(message)).toBe(true);
    expect(message.content).toBe('It is sunny.');
    expect(message.tool_calls).toEqual([
      { id: 'call_1', name: 'get_weather', args: { city: 'Paris' }, type: 'tool_call' },
    ]);
    expect(message.additional_kwargs).toEqual({ refusal: null });
    expect(message.response_metadata).toEqual({
      finish_reason: 'tool_calls',
      model_name: 'gpt-4.1-2025-04-14',
      semcache: info,
    });
    expect(message.usage_metadata).toEqual({ input_tokens: 0, output_tokens: 0, total_tokens: 0 });
    expect(message.id).toBeUndefined();
    expect(decoded?.generationInfo).toEqual({ finish_reason: 'tool_calls', semcache: info });
  });

  test('every decode builds new objects', () => {
    const value = encodeGenerations([generation()], 'gpt-4.1')?.value ?? null;
    const first = decodeGenerations(value, info) as ChatGeneration[];
    const firstMessage = first[0]?.message as AIMessage;
    firstMessage.content = 'mutated';
    (firstMessage.tool_calls?.[0]?.args as Record<string, unknown>).city = 'Rome';
    const second = decodeGenerations(value, info) as ChatGeneration[];
    const secondMessage = second[0]?.message as AIMessage;
    expect(secondMessage.content).toBe('It is sunny.');
    expect(secondMessage.tool_calls?.[0]?.args).toEqual({ city: 'Paris' });
  });

  test('plain (LLM) generations round-trip', () => {
    const encoded = encodeGenerations(
      [{ text: 'Paris', generationInfo: { finish_reason: 'stop' } }],
      'davinci',
    );
    expect(encoded?.finishReason).toBe('stop');
    expect(decodeGenerations(encoded?.value ?? null, info)).toEqual([
      { text: 'Paris', generationInfo: { finish_reason: 'stop', semcache: info } },
    ]);
  });

  test('any truncated generation makes the whole answer unstorable', () => {
    const cut = { text: 'Par', generationInfo: { finish_reason: 'length' } };
    const ok = { text: 'Paris', generationInfo: { finish_reason: 'stop' } };
    expect(encodeGenerations([ok, cut], 'm')?.finishReason).toBe('length');
  });

  test('values of another shape are not readable', () => {
    for (const value of [
      null,
      'x',
      [],
      { generations: [] },
      { generations: [{ nope: 1 }] },
      { generations: [{ text: 'a', message: { type: 'alien', data: {} } }] },
    ]) {
      expect(decodeGenerations(value, info)).toBeUndefined();
    }
  });

  test('generations that are not JSON are not encoded', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(encodeGenerations([{ text: 'x', generationInfo: circular }], 'm')).toBeUndefined();
  });
});

describe('normalizeFinishReason', () => {
  test.each([
    ['stop', 'stop'],
    ['end_turn', 'stop'],
    ['tool_calls', 'tool-calls'],
    ['tool_use', 'tool-calls'],
    ['length', 'length'],
    ['MAX_TOKENS', 'length'],
    ['content_filter', 'content-filter'],
    ['SAFETY', 'content-filter'],
    ['weird', 'weird'],
  ])('%s → %s', (raw, expected) => {
    expect(normalizeFinishReason(raw)).toBe(expected);
  });

  test('missing reasons stay missing', () => {
    expect(normalizeFinishReason(undefined)).toBeUndefined();
    expect(normalizeFinishReason('')).toBeUndefined();
  });
});
