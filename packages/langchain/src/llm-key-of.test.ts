import { ChatOpenAI } from '@langchain/openai';
import { describe, expect, test } from 'vitest';
import { isKeyableModel, llmKeyOf } from './llm-key-of.js';

const tool = {
  type: 'function',
  function: { name: 'f', description: 'd', parameters: { type: 'object' } },
};

describe('llmKeyOf', () => {
  test('equals the key LangChain computes, with bound tools and call options merged', () => {
    const model = new ChatOpenAI({ model: 'gpt-4.1', apiKey: 'k' });
    const bound = model.bindTools([tool], { tool_choice: 'auto' });
    const key = llmKeyOf(bound, { stop: ['x'], tags: ['t'], callbacks: [] });
    expect(key).toBe(
      model._getSerializedCacheKeyParametersForCall({
        tools: [tool],
        tool_choice: 'auto',
        stop: ['x'],
      } as never),
    );
  });

  test('unwraps withConfig bindings', () => {
    const model = new ChatOpenAI({ model: 'gpt-4.1', apiKey: 'k' });
    const configured = model.withConfig({ stop: ['y'] }).withConfig({ tags: ['a'] });
    expect(llmKeyOf(configured)).toContain('stop:["y"]');
    expect(isKeyableModel(configured)).toBe(true);
  });

  test('a chain is not a chat model', () => {
    const chain = new ChatOpenAI({ model: 'gpt-4.1', apiKey: 'k' }).pipe((message) => message.text);
    expect(isKeyableModel(chain)).toBe(false);
    expect(llmKeyOf(chain)).toBeUndefined();
  });
});
