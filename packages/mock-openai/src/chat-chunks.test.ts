import { describe, expect, test } from 'vitest';
import type { ChatAnswer } from './chat-answer.js';
import { buildChatChunks } from './chat-chunks.js';

const meta = { id: 'chatcmpl-7', created: 1700000000, model: 'gpt-mock' };
const usage = { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 };

type Chunk = { choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }> };

describe('buildChatChunks', () => {
  test('streams role, reasoning, content, finish and usage in order', () => {
    const answer: ChatAnswer = {
      content: 'one two three',
      reasoning: 'hmm, ok then',
      toolCalls: [],
      finishReason: 'stop',
      usage,
    };
    const chunks = buildChatChunks(answer, meta, true);
    expect(chunks.map((c) => c.kind)).toEqual([
      'role',
      'delta',
      'delta',
      'delta',
      'delta',
      'delta',
      'delta',
      'finish',
      'usage',
    ]);
    const deltas = chunks.map((c) => (c.data as Chunk).choices[0]?.delta);
    expect(deltas.slice(0, 7)).toEqual([
      { role: 'assistant', content: '' },
      { reasoning_content: 'hmm, ' },
      { reasoning_content: 'ok ' },
      { reasoning_content: 'then' },
      { content: 'one ' },
      { content: 'two ' },
      { content: 'three' },
    ]);
    expect((chunks[7]?.data as Chunk | undefined)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks[8]?.data).toMatchObject({
      choices: [],
      usage,
      object: 'chat.completion.chunk',
      id: 'chatcmpl-7',
    });
  });

  test('streams tool calls as id/name then argument pieces, without usage unless asked', () => {
    const args = '{"city":"Paris","unit":"c"}';
    const answer: ChatAnswer = {
      content: null,
      reasoning: undefined,
      toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: args }],
      finishReason: 'tool_calls',
      usage,
    };
    const chunks = buildChatChunks(answer, meta, false);
    expect(chunks.at(-1)?.kind).toBe('finish');
    const calls = chunks
      .filter((c) => c.kind === 'delta')
      .map((c) => (c.data as Chunk).choices[0]?.delta.tool_calls as Array<Record<string, unknown>>);
    expect(calls[0]).toEqual([
      {
        index: 0,
        id: 'call_1',
        type: 'function',
        function: { name: 'get_weather', arguments: '' },
      },
    ]);
    expect(calls.length).toBeGreaterThanOrEqual(4);
    const joined = calls
      .slice(1)
      .map((c) => (c[0]?.function as { arguments: string } | undefined)?.arguments)
      .join('');
    expect(joined).toBe(args);
  });
});
