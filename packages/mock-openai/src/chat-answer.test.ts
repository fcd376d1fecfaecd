import { describe, expect, test } from 'vitest';
import { planChatAnswer } from './chat-answer.js';
import { parseChatRequest } from './chat-request.js';

function plan(body: Record<string, unknown>) {
  const result = parseChatRequest({ model: 'gpt-mock', ...body });
  if (!result.ok) throw new Error(result.message);
  return planChatAnswer(result.request);
}

const user = (content: string) => ({ role: 'user', content });
const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
      required: ['city'],
    },
  },
};

describe('planChatAnswer', () => {
  test('answers text prompts deterministically with a fingerprint', () => {
    const answer = plan({ messages: [user('What is 2+2?')] });
    expect(answer.content).toMatch(
      /^Mock answer to "What is 2\+2\?" \(model gpt-mock\) \[#[0-9a-f]{8}\]$/,
    );
    expect(answer).toMatchObject({ toolCalls: [], finishReason: 'stop', reasoning: undefined });
    expect(plan({ messages: [user('What is 2+2?')] })).toEqual(answer);
  });

  test('quotes the last user message and truncates long ones', () => {
    const answer = plan({
      messages: [user('first'), { role: 'assistant', content: 'ok' }, user('x'.repeat(300))],
    });
    expect(answer.content).toContain(`"${'x'.repeat(200)}…"`);
  });

  test('computes usage from the prompt and the answer', () => {
    const { usage } = plan({ messages: [user('abcdefgh')] });
    expect(usage.prompt_tokens).toBe(2);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect(usage.completion_tokens_details).toBeUndefined();
  });

  test('calls the weather tool with Paris when asked about the weather', () => {
    const answer = plan({ messages: [user('What is the Weather like?')], tools: [weatherTool] });
    expect(answer.content).toBeNull();
    expect(answer.finishReason).toBe('tool_calls');
    expect(answer.toolCalls).toHaveLength(1);
    expect(answer.toolCalls[0]).toMatchObject({
      name: 'get_weather',
      id: expect.stringMatching(/^call_/),
    });
    expect(JSON.parse(answer.toolCalls[0]?.arguments ?? '')).toEqual({ city: 'Paris', unit: 'c' });
  });

  test('prefers the named tool, and required forces a call to the first tool', () => {
    const other = { type: 'function', function: { name: 'lookup' } };
    const named = plan({
      messages: [user('hello')],
      tools: [weatherTool, other],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
    });
    expect(named.toolCalls[0]).toMatchObject({ name: 'lookup', arguments: '{}' });
    const required = plan({
      messages: [user('hello')],
      tools: [other, weatherTool],
      tool_choice: 'required',
    });
    expect(required.toolCalls[0]?.name).toBe('lookup');
  });

  test('does not call tools for other prompts or with tool_choice none', () => {
    expect(plan({ messages: [user('hello')], tools: [weatherTool] }).toolCalls).toEqual([]);
    expect(
      plan({ messages: [user('weather?')], tools: [weatherTool], tool_choice: 'none' }).toolCalls,
    ).toEqual([]);
  });

  test('summarises trailing tool results', () => {
    const answer = plan({
      messages: [
        user('weather in Paris?'),
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'Sunny, 21C' },
      ],
      tools: [weatherTool],
    });
    expect(answer).toMatchObject({
      content: 'The tool said: Sunny, 21C',
      finishReason: 'stop',
      toolCalls: [],
    });
  });

  test('emits JSON for json_object and a schema sample for json_schema', () => {
    const object = plan({ messages: [user('hi')], response_format: { type: 'json_object' } });
    expect(JSON.parse(object.content ?? '')).toEqual({
      answer: expect.stringContaining('Mock answer to "hi"'),
    });
    const schema = {
      type: 'object',
      properties: { title: { type: 'string' }, count: { type: 'integer' } },
      required: ['title', 'count'],
    };
    const structured = plan({
      messages: [user('hi')],
      response_format: { type: 'json_schema', json_schema: { name: 'r', schema } },
    });
    expect(JSON.parse(structured.content ?? '')).toEqual({
      title: expect.stringMatching(/^mock-title-[0-9a-f]{8}$/),
      count: 42,
    });
  });

  test('adds reasoning for "think" prompts and reasoning_effort', () => {
    const thinking = plan({ messages: [user('Think hard: 2+2?')] });
    expect(thinking.reasoning).toContain('Let me think about');
    expect(thinking.usage.completion_tokens_details?.reasoning_tokens).toBeGreaterThan(0);
    expect(plan({ messages: [user('2+2?')], reasoning_effort: 'low' }).reasoning).toBeDefined();
  });

  test('finishes with length for [[length]] prompts', () => {
    expect(plan({ messages: [user('long story [[length]]')] }).finishReason).toBe('length');
  });
});
