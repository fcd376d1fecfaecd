import { describe, expect, test } from 'vitest';
import { parseChatBody } from './chat-body.js';

const valid = { model: 'gpt-4.1', messages: [{ role: 'user', content: 'Hi' }] };

describe('parseChatBody', () => {
  test('a minimal body; stream and include_usage read', () => {
    const parsed = parseChatBody(
      JSON.stringify({ ...valid, stream: true, stream_options: { include_usage: true } }),
    );
    expect(parsed).toMatchObject({
      ok: true,
      chat: { model: 'gpt-4.1', stream: true, includeUsage: true, uncacheable: undefined },
    });
    expect(parseChatBody(JSON.stringify(valid))).toMatchObject({
      ok: true,
      chat: { stream: false, includeUsage: false },
    });
  });

  test.each([
    ['{not json', '$', /not valid JSON/],
    ['[1, 2]', '$', /JSON object/],
    [JSON.stringify({ messages: valid.messages }), 'model', /model/],
    [JSON.stringify({ model: 'm', messages: [] }), 'messages', /non-empty/],
    [
      JSON.stringify({ model: 'm', messages: [{ role: 'robot', content: 'x' }] }),
      'messages[0]',
      /role/,
    ],
    [
      JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 42 }] }),
      'messages[0]',
      /content/,
    ],
    [
      JSON.stringify({ ...valid, messages: [{ role: 'assistant', tool_calls: {} }] }),
      'messages[0]',
      /tool_calls/,
    ],
    [JSON.stringify({ ...valid, stream: 'yes' }), 'stream', /boolean/],
    [
      JSON.stringify({ ...valid, stream_options: { include_usage: 1 } }),
      'stream_options',
      /boolean/,
    ],
    [JSON.stringify({ ...valid, temperature: '0' }), 'temperature', /number/],
    [JSON.stringify({ ...valid, max_tokens: '10' }), 'max_tokens', /number/],
    [JSON.stringify({ ...valid, n: 2 }), 'n', /n requests/],
    [JSON.stringify({ ...valid, stop: [1] }), 'stop', /strings/],
    [JSON.stringify({ ...valid, tools: {} }), 'tools', /array/],
    [JSON.stringify({ ...valid, response_format: 'json' }), 'response_format', /type/],
  ])('%s → 400 naming %s', (text, param, message) => {
    const parsed = parseChatBody(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.param).toBe(param);
      expect(parsed.message).toMatch(message);
    }
  });

  test('null for optional fields is accepted, as the OpenAI API does', () => {
    const parsed = parseChatBody(
      JSON.stringify({ ...valid, temperature: null, stop: null, n: 1, stream: null, tools: null }),
    );
    expect(parsed.ok).toBe(true);
  });

  test('answers with log probabilities or audio go around the cache', () => {
    const reasons = [
      { logprobs: true },
      { modalities: ['text', 'audio'] },
      { audio: { voice: 'alloy', format: 'wav' } },
    ].map((extra) => {
      const parsed = parseChatBody(JSON.stringify({ ...valid, ...extra }));
      return parsed.ok ? parsed.chat.uncacheable : 'invalid';
    });
    expect(reasons).toEqual(['logprobs', 'audio output', 'audio output']);
  });
});
