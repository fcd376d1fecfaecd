import { getBufferString, HumanMessage } from '@langchain/core/messages';
import { ChatOpenAI, type ChatOpenAIFields } from '@langchain/openai';
import { canonicalJson, deriveCacheKeys } from '@semcache/core/internal';
import { describe, expect, test } from 'vitest';
import { mediaPlaceholder, toCacheRequest } from './to-cache-request.js';

const secretKey = 'sk-proj-SECRETSECRETSECRETSECRET';
const baseURL = 'https://llm.internal.example.com/v1';

function keyOf(fields: ChatOpenAIFields, options: Record<string, unknown> = {}): string {
  const model = new ChatOpenAI({
    model: 'gpt-4.1',
    apiKey: secretKey,
    configuration: { baseURL },
    ...fields,
  });
  return model._getSerializedCacheKeyParametersForCall(options);
}

const prompt = 'System: Be terse.\nHuman: How do I reset my password?';

describe('toCacheRequest', () => {
  test('calls sharing an llmKey get independent requests (the parsed llmKey is reused, never changed)', () => {
    const llmKey = keyOf({ temperature: 0, modelKwargs: { user_tier: 'gold' } });
    const flagged = toCacheRequest('critic: too long\nHuman: shorten it', llmKey).request;
    const plain = toCacheRequest(prompt, llmKey).request;
    expect(flagged.params?.providerOptions).toMatchObject({ langchainPromptPreamble: true });
    expect(plain.params?.providerOptions?.langchainPromptPreamble).toBeUndefined();
    expect(plain.params?.temperature).toBe(0);
    expect(() => {
      (plain.params as { temperature?: number }).temperature = 1;
    }).toThrow(TypeError);
    expect(toCacheRequest(prompt, llmKey).request).toEqual(plain);
    expect(() => toCacheRequest(prompt, `${llmKey},broken`)).toThrow(/llmKey|pair/);
  });

  test('a real ChatOpenAI llmKey loses its API key, base URL and transport options', () => {
    const llmKey = keyOf({
      timeout: 1000,
      maxRetries: 2,
      configuration: {
        baseURL,
        organization: 'org-123456789',
        defaultHeaders: { 'X-Secret-Header': 'hdr-value-123' },
      },
    });
    expect(llmKey).toContain(secretKey);
    expect(llmKey).toContain(baseURL);
    const { request } = toCacheRequest(prompt, llmKey);
    const json = canonicalJson(request);
    for (const leaked of [
      secretKey,
      baseURL,
      'org-123456789',
      'hdr-value-123',
      'dangerouslyAllowBrowser',
    ]) {
      expect(json).not.toContain(leaked);
    }
    expect(request).toEqual({
      model: { provider: 'langchain.openai.chat', id: 'gpt-4.1' },
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be terse.' }] },
        { role: 'user', content: [{ type: 'text', text: 'How do I reset my password?' }] },
      ],
    });
  });

  test('models that differ only in key, base URL, streaming or retries get the same exact key', () => {
    const keys = [
      keyOf({}),
      keyOf({ apiKey: 'sk-proj-OTHEROTHEROTHEROTHER' }),
      keyOf({ configuration: { baseURL: 'http://127.0.0.1:9/v1' } }),
      keyOf({ streaming: true }),
      keyOf({ maxRetries: 0, timeout: 5 }),
    ].map((llmKey) => deriveCacheKeys(toCacheRequest(prompt, llmKey).request).exactKey);
    expect(new Set(keys).size).toBe(1);
  });

  test('output-shaping options land in params, tools, tool choice and response format', () => {
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather, now',
          parameters: { type: 'object' },
        },
      },
    ];
    const llmKey = keyOf(
      {
        temperature: 0.3,
        maxTokens: 100,
        topP: 0.5,
        frequencyPenalty: 0.1,
        presencePenalty: 0.2,
        logprobs: true,
      },
      {
        stop: ['END', 'a,b'],
        seed: 7,
        tools,
        tool_choice: 'auto',
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'T', schema: { type: 'object' } },
        },
        ls_structured_output_format: { kwargs: { method: 'json_schema' } },
        signal: {},
      },
    );
    const { request } = toCacheRequest(prompt, llmKey, { tenant: 'acme' });
    expect(request.params).toEqual({
      temperature: 0.3,
      maxOutputTokens: 100,
      topP: 0.5,
      frequencyPenalty: 0.1,
      presencePenalty: 0.2,
      stopSequences: ['END', 'a,b'],
      seed: 7,
      providerOptions: { logprobs: true },
    });
    expect(request.tools).toEqual([
      { name: 'get_weather', description: 'Weather, now', inputSchema: { type: 'object' } },
    ]);
    expect(request.toolChoice).toBe('auto');
    expect(request.responseFormat).toEqual({ type: 'json', name: 'T', schema: { type: 'object' } });
    expect(request.scope).toEqual({ tenant: 'acme' });
  });

  test('unknown options are kept, secret-looking ones are not', () => {
    const llmKey = keyOf({
      modelKwargs: {
        custom_style: 'pirate',
        extra_headers: { authorization: 'Bearer abcdefghijklmnop' },
        auth_token: 'whatever',
        backup: `copy of ${secretKey}`,
      },
      user: 'end-user-42',
    });
    const { request } = toCacheRequest(prompt, llmKey);
    expect(request.params?.providerOptions).toEqual({ custom_style: 'pirate', extra_headers: {} });
  });

  test('a string stop becomes a list; a conflicting alias is kept, not lost', () => {
    const { request } = toCacheRequest(prompt, 'model:"m",stop:"END",stopSequences:["X"]');
    expect(request.params?.stopSequences).toEqual(['END']);
    expect(request.params?.providerOptions).toEqual({ stopSequences: ['X'] });
  });

  test('an LLM (not chat) prompt is one user message', () => {
    const { request } = toCacheRequest(
      'Human: hi\nAI:',
      '_model:"base_llm",_type:"openai",model:"gpt-3.5-turbo-instruct"',
    );
    expect(request.model.provider).toBe('langchain.openai.llm');
    expect(request.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Human: hi\nAI:' }] },
    ]);
  });

  test('prompts with multimodal placeholders are not cacheable', () => {
    const withImage = new HumanMessage({
      content: [
        { type: 'text', text: 'What is in this picture?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
      ],
    });
    const rendered = getBufferString([withImage]);
    expect(rendered).toContain('[image]');
    expect(toCacheRequest(rendered, keyOf({})).uncacheable).toMatch(/placeholder/);
    expect(mediaPlaceholder('Cite [1] and [note]')).toBeUndefined();
  });
});
