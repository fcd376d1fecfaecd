import { describe, expect, test } from 'vitest';
import type { ChatAnswer } from './chat-answer.js';
import { buildChatCompletion } from './chat-completion.js';

const meta = { id: 'chatcmpl-1', created: 1700000000, model: 'gpt-mock' };
const usage = { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 };

describe('buildChatCompletion', () => {
  test('shapes a text answer', () => {
    const answer: ChatAnswer = {
      content: 'hi',
      reasoning: undefined,
      toolCalls: [],
      finishReason: 'stop',
      usage,
    };
    expect(buildChatCompletion(answer, meta)).toEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1700000000,
      model: 'gpt-mock',
      system_fingerprint: expect.any(String),
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'hi', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage,
    });
  });

  test('adds reasoning_content and tool_calls when present', () => {
    const answer: ChatAnswer = {
      content: null,
      reasoning: 'hmm',
      toolCalls: [{ id: 'call_1', name: 'f', arguments: '{}' }],
      finishReason: 'tool_calls',
      usage,
    };
    const body = buildChatCompletion(answer, meta) as { choices: Array<{ message: unknown }> };
    expect(body.choices[0]?.message).toEqual({
      role: 'assistant',
      content: null,
      refusal: null,
      reasoning_content: 'hmm',
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
    });
  });
});
