import { describe, expect, test } from 'vitest';
import { messageText, parseChatRequest } from './chat-request.js';

const base = { model: 'gpt-mock', messages: [{ role: 'user', content: 'hi' }] };

describe('parseChatRequest', () => {
  test('normalises the fields the mock acts on', () => {
    const result = parseChatRequest({
      ...base,
      stream: true,
      stream_options: { include_usage: true },
      tools: [
        { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'x', schema: { type: 'object' } },
      },
      reasoning_effort: 'low',
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.request).toMatchObject({
      model: 'gpt-mock',
      stream: true,
      includeUsage: true,
      tools: [{ name: 'get_weather', parameters: { type: 'object' } }],
      toolChoice: { kind: 'function', name: 'get_weather' },
      responseFormat: { type: 'json_schema', schema: { type: 'object' } },
      reasoningEffort: 'low',
    });
  });

  test('defaults optional fields', () => {
    const result = parseChatRequest(base);
    expect(result.ok && result.request).toMatchObject({
      stream: false,
      includeUsage: false,
      tools: [],
      toolChoice: { kind: 'auto' },
      responseFormat: { type: 'text' },
      reasoningEffort: undefined,
    });
  });

  test.each([
    ['a non-object body', [], '$'],
    ['a missing model', { messages: base.messages }, 'model'],
    ['empty messages', { model: 'm', messages: [] }, 'messages'],
    ['a message without role', { model: 'm', messages: [{ content: 'x' }] }, 'messages'],
    ['malformed tools', { ...base, tools: [{ type: 'function' }] }, 'tools'],
    ['a bad tool_choice', { ...base, tool_choice: 'sometimes' }, 'tool_choice'],
    [
      'an unknown named tool',
      { ...base, tool_choice: { function: { name: 'nope' } } },
      'tool_choice',
    ],
    ['a bad response_format', { ...base, response_format: { type: 'xml' } }, 'response_format'],
  ])('rejects %s', (_, body, param) => {
    const result = parseChatRequest(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.param).toBe(param);
  });
});

describe('messageText', () => {
  test('reads string content and text parts', () => {
    expect(messageText({ role: 'user', content: 'plain' })).toBe('plain');
    expect(
      messageText({
        role: 'user',
        content: [
          { type: 'text', text: 'a' },
          { type: 'image_url', image_url: { url: 'x' } },
          { type: 'text', text: 'b' },
        ],
      }),
    ).toBe('a\nb');
    expect(messageText({ role: 'assistant', content: null })).toBe('');
  });
});
