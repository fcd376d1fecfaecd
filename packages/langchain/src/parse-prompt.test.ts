import {
  AIMessage,
  getBufferString,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from '@langchain/core/messages';
import { describe, expect, test } from 'vitest';
import { parsePrompt } from './parse-prompt.js';

describe('parsePrompt', () => {
  test('reads LangChain roles and keeps multi-line messages whole', () => {
    const prompt = getBufferString([
      new SystemMessage('Be terse.\nAlways answer in French.'),
      new HumanMessage('First line\nSecond line\nNote: this is not a role'),
      new AIMessage('An answer\non two lines'),
      new HumanMessage('Thanks!'),
    ]);
    expect(parsePrompt(prompt)).toEqual({
      preamble: false,
      messages: [
        {
          role: 'system',
          content: [{ type: 'text', text: 'Be terse.\nAlways answer in French.' }],
        },
        {
          role: 'user',
          content: [{ type: 'text', text: 'First line\nSecond line\nNote: this is not a role' }],
        },
        { role: 'assistant', content: [{ type: 'text', text: 'An answer\non two lines' }] },
        { role: 'user', content: [{ type: 'text', text: 'Thanks!' }] },
      ],
    });
  });

  test('turns tool calls into tool-call parts and tool messages into tool turns', () => {
    const prompt = getBufferString([
      new HumanMessage('Weather in Paris, FR?'),
      new AIMessage({
        content: 'Let me check [really].',
        tool_calls: [{ id: 'call_abc', name: 'get_weather', args: { city: 'Paris, FR' } }],
      }),
      new ToolMessage({ content: '22 °C\nsunny', tool_call_id: 'call_abc' }),
    ]);
    expect(parsePrompt(prompt).messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris, FR?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check [really].' },
          {
            type: 'tool-call',
            toolCallId: 'call_abc',
            toolName: 'get_weather',
            input: { city: 'Paris, FR' },
          },
        ],
      },
      { role: 'tool', content: [{ type: 'text', text: '22 °C\nsunny' }] },
    ]);
  });

  test('an AI message without text is only its tool calls', () => {
    const prompt = getBufferString([
      new AIMessage({ content: '', tool_calls: [{ id: 'x', name: 'f', args: {} }] }),
    ]);
    expect(parsePrompt(prompt).messages[0]?.content).toEqual([
      { type: 'tool-call', toolCallId: 'x', toolName: 'f', input: {} },
    ]);
  });

  test('brackets in assistant text that are not tool calls stay text', () => {
    const text = 'Use [{"a": 1}] or [x]';
    expect(parsePrompt(`AI: ${text}`).messages[0]?.content).toEqual([{ type: 'text', text }]);
  });

  test('a prompt not starting with a known role becomes a user message and is flagged', () => {
    expect(parsePrompt('critic: too long\nHuman: shorten it')).toEqual({
      preamble: true,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'critic: too long' }] },
        { role: 'user', content: [{ type: 'text', text: 'shorten it' }] },
      ],
    });
  });

  test('message names stay in the text, so they shape the key', () => {
    const prompt = getBufferString([new HumanMessage({ content: 'hi', name: 'bob' })]);
    expect(parsePrompt(prompt).messages[0]?.content).toEqual([{ type: 'text', text: 'bob, hi' }]);
  });

  test('no text is lost: different prompts never parse the same', () => {
    const prompts = [
      'Human: a\nb',
      'Human: a\n\nb',
      'Human: a \nb',
      'Human: a\nHuman: b',
      'Human: a\nAI: b',
    ];
    const parsed = prompts.map((prompt) => JSON.stringify(parsePrompt(prompt)));
    expect(new Set(parsed).size).toBe(prompts.length);
  });
});
