import { AIMessage, AIMessageChunk } from '@langchain/core/messages';
import { concat } from '@langchain/core/utils/stream';
import { describe, expect, test } from 'vitest';
import { copyChunk, replayChunks, textPieces, toChatGeneration } from './message-chunks.js';

describe('replayChunks', () => {
  test('chunks concatenate to the same text, tool calls and metadata', () => {
    const message = new AIMessage({
      content: 'It is  sunny\nin Paris. ',
      tool_calls: [
        { id: 'call_1', name: 'get_weather', args: { city: 'Paris' }, type: 'tool_call' },
      ],
      response_metadata: { finish_reason: 'tool_calls', semcache: { stale: true } },
      usage_metadata: { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
    });
    const chunks = replayChunks(message, { semcache: { hit: true } });
    expect(chunks.length).toBeGreaterThan(3);
    const joined = chunks.reduce((all, chunk) => concat(all, chunk));
    expect(joined.text).toBe(message.text);
    expect(joined.tool_calls).toEqual(message.tool_calls);
    expect(joined.response_metadata).toEqual({
      finish_reason: 'tool_calls',
      semcache: { hit: true },
    });
  });

  test('non-text content is replayed whole', () => {
    const content = [
      { type: 'text' as const, text: 'a' },
      { type: 'text' as const, text: 'b' },
    ];
    const chunks = replayChunks(new AIMessage({ content }), {});
    expect(chunks).toHaveLength(1);
    expect(chunks[0]?.content).toEqual(content);
  });
});

describe('textPieces', () => {
  test.each(['', 'one', ' lead and trail ', 'a\n\nb  c'])('joins back to %j', (text) => {
    expect(textPieces(text).join('')).toBe(text);
  });
});

describe('toChatGeneration', () => {
  test('turns a concatenated stream into an AIMessage generation without chunk fields', () => {
    const streamed = concat(
      new AIMessageChunk({ content: 'Hel', id: 'chatcmpl-1' }),
      new AIMessageChunk({
        content: 'lo',
        response_metadata: { finish_reason: 'stop' },
        usage_metadata: { input_tokens: 1, output_tokens: 2, total_tokens: 3 },
      }),
    );
    const generation = toChatGeneration(streamed);
    expect(generation.text).toBe('Hello');
    expect(AIMessageChunk.isInstance(generation.message)).toBe(false);
    expect(generation.message.toDict().data).not.toHaveProperty('tool_call_chunks');
    expect((generation.message as AIMessage).usage_metadata).toMatchObject({ output_tokens: 2 });
  });
});

describe('copyChunk', () => {
  test('a copy shares no mutable state with the original', () => {
    const original = new AIMessageChunk({ content: 'x', response_metadata: { a: { b: 1 } } });
    const copy = copyChunk(original);
    ((copy.response_metadata as Record<string, { b: number }>).a as { b: number }).b = 2;
    expect((original.response_metadata as Record<string, unknown>).a).toEqual({ b: 1 });
    expect(copy.text).toBe('x');
  });
});
