import { FakeListChatModel } from '@langchain/core/utils/testing';
import { expect, test } from 'vitest';
import { langchainJudge } from './langchain-judge.js';

test('asks the chat model the fixed yes/no question and reads its verdict', async () => {
  const input = {
    cached: { generations: [{ text: '42' }] },
    fresh: { generations: [{ text: 'It is 42.' }] },
    request: 'what is six times seven',
    cachedRequest: 'What is 6 × 7?',
  };
  expect(await langchainJudge(new FakeListChatModel({ responses: ['YES'] }))(input)).toBe(true);
  expect(
    await langchainJudge(new FakeListChatModel({ responses: ['No, they differ.'] }))(input),
  ).toBe(false);
});
