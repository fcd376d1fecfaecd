import { MockLanguageModelV4 } from 'ai/test';
import { expect, test } from 'vitest';
import { aiSdkJudge } from './ai-sdk-judge.js';

function replying(text: string) {
  const prompts: string[] = [];
  const model = new MockLanguageModelV4({
    doGenerate: async (options) => {
      prompts.push(JSON.stringify(options.prompt));
      return {
        content: [{ type: 'text', text }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: {
          inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
          outputTokens: { total: 1, text: 1, reasoning: undefined },
        },
        warnings: [],
      };
    },
  });
  return { model, prompts };
}

test('asks the model the fixed yes/no question with both answers, and reads its verdict', async () => {
  const yes = replying(' Yes.');
  const input = {
    cached: { content: [{ type: 'text', text: 'Paris.' }] },
    fresh: { content: [{ type: 'text', text: 'The capital is Paris.' }] },
    request: 'capital of France?',
    cachedRequest: 'What is the capital of France?',
  };
  expect(await aiSdkJudge(yes.model)(input)).toBe(true);
  expect(yes.prompts[0]).toContain('Answer A: Paris.');
  expect(yes.prompts[0]).toContain('Answer B: The capital is Paris.');
  expect(yes.prompts[0]).toContain('Reply with exactly one word: yes or no.');
  expect(await aiSdkJudge(replying('no').model)(input)).toBe(false);
  expect(await aiSdkJudge(replying('yesterday').model)(input)).toBe(false);
});
