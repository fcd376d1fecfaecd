import type { JsonObject } from '@semcache/core';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  chunksFromStored,
  completionFromStored,
  computedResponse,
  isStoredCompletion,
  splitText,
  storedFromChunks,
  storedFromCompletion,
} from './stored-completion.js';

const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-4.1',
  system_fingerprint: 'fp_1',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Paris is the capital of France.', refusal: null },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 10, completion_tokens: 7, total_tokens: 17 },
};

describe('stored completions', () => {
  test('a JSON completion round-trips', () => {
    const stored = storedFromCompletion(completion);
    expect(stored && isStoredCompletion(stored)).toBe(true);
    expect(completionFromStored(stored!)).toEqual(completion);
  });

  test('several choices or no finish reason are not stored', () => {
    const two = {
      ...completion,
      choices: [completion.choices[0], { ...completion.choices[0], index: 1 }],
    };
    expect(storedFromCompletion(two)).toBeUndefined();
    expect(
      storedFromCompletion({ ...completion, choices: [{ message: {}, finish_reason: null }] }),
    ).toBeUndefined();
    expect(storedFromCompletion('text')).toBeUndefined();
  });

  test('replayed chunks rebuild the same answer; usage only when asked', () => {
    const stored = storedFromCompletion(completion)!;
    const chunks = chunksFromStored(stored, true);
    expect(chunks[0]).toMatchObject({
      object: 'chat.completion.chunk',
      system_fingerprint: 'fp_1',
      choices: [{ delta: { role: 'assistant', content: '' } }],
    });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: completion.usage });
    expect(chunks.at(-2)).toMatchObject({ choices: [{ delta: {}, finish_reason: 'stop' }] });
    const rebuilt = storedFromChunks(chunks)!;
    expect(rebuilt.message).toEqual({
      role: 'assistant',
      content: completion.choices[0]?.message.content,
    });
    expect(rebuilt.usage).toEqual(completion.usage);
    expect(
      chunksFromStored(stored, false).some((chunk) => (chunk.choices as unknown[]).length === 0),
    ).toBe(false);
  });

  test('tool calls: deltas merged by index, replayed as id/name then arguments', () => {
    const calls = [
      {
        id: 'call_1',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
      },
      { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{"tz":"CET"}' } },
    ];
    const stored = storedFromCompletion({
      ...completion,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: null, tool_calls: calls },
          finish_reason: 'tool_calls',
        },
      ],
    })!;
    const chunks = chunksFromStored(stored, false);
    expect(chunks[0]).toMatchObject({ choices: [{ delta: { role: 'assistant', content: null } }] });
    const rebuilt = storedFromChunks(chunks)!;
    expect(rebuilt.message).toEqual({ role: 'assistant', content: null, tool_calls: calls });
    expect(rebuilt.finishReason).toBe('tool_calls');
    expect(computedResponse(rebuilt, 'gpt-4.1').finishReason).toBe('tool-calls');
  });

  test('reasoning deltas are joined and replayed before the answer', () => {
    const chunk = (delta: JsonObject, finish: string | null = null): JsonObject => ({
      id: 'c',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'm',
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const stored = storedFromChunks([
      chunk({ role: 'assistant', content: '' }),
      chunk({ reasoning_content: 'Let me ' }),
      chunk({ reasoning_content: 'think.' }),
      chunk({ content: 'Yes.' }),
      chunk({}, 'stop'),
    ])!;
    expect(stored.message).toEqual({
      role: 'assistant',
      content: 'Yes.',
      reasoning_content: 'Let me think.',
    });
    const replayed = chunksFromStored(stored, false).map(
      (c) => (c.choices as { delta: JsonObject }[])[0]?.delta,
    );
    expect(replayed.findIndex((d) => d?.reasoning_content)).toBeLessThan(
      replayed.findIndex((d) => d?.content === 'Yes.'),
    );
  });

  test('a stream without a finish reason (cut) or with a second choice is not stored', () => {
    const chunk = (choice: JsonObject): JsonObject => ({
      id: 'c',
      created: 1,
      model: 'm',
      choices: [choice],
    });
    expect(storedFromChunks([chunk({ index: 0, delta: { content: 'Half' } })])).toBeUndefined();
    expect(
      storedFromChunks([chunk({ index: 1, delta: { content: 'x' }, finish_reason: 'stop' })]),
    ).toBeUndefined();
    expect(storedFromChunks([])).toBeUndefined();
  });

  test('finish reasons map to the core vocabulary; length is not storable there', () => {
    const stored = storedFromCompletion(completion)!;
    expect(computedResponse({ ...stored, finishReason: 'length' }, 'gpt-4.1')).toMatchObject({
      finishReason: 'length',
    });
    expect(computedResponse(stored, 'gpt-4.1')).toMatchObject({
      finishReason: 'stop',
      modelId: 'gpt-4.1',
      usage: { inputTokens: 10, outputTokens: 7 },
    });
  });

  test('any text survives splitting and replay unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), (text) => {
        expect(splitText(text).join('')).toBe(text);
        const stored = storedFromCompletion({
          ...completion,
          choices: [
            { index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' },
          ],
        })!;
        expect(storedFromChunks(chunksFromStored(stored, true))?.message.content).toBe(text);
      }),
    );
  });
});
