import type { Serialized } from '@langchain/core/load/serializable';
import { AIMessage, HumanMessage } from '@langchain/core/messages';
import { describe, expect, test } from 'vitest';
import { FailureHandler } from './failure-handler.js';

const llm: Serialized = { lc: 1, type: 'not_implemented', id: ['x'] };

describe('FailureHandler', () => {
  test('reports the prompt of a failed run, as LangChain renders it for caches', () => {
    const failed: string[] = [];
    const handler = new FailureHandler((prompt) => failed.push(prompt));
    handler.handleChatModelStart(
      llm,
      [[new HumanMessage('hi'), new AIMessage('yo'), new HumanMessage('again')]],
      'run-1',
    );
    handler.handleLLMStart(llm, ['raw prompt'], 'run-2');
    handler.handleChatModelStart(llm, [[new HumanMessage('fine')]], 'run-3');
    handler.handleLLMError(new Error('boom'), 'run-1');
    handler.handleLLMError(new Error('boom'), 'run-2');
    handler.handleLLMEnd({ generations: [] }, 'run-3');
    handler.handleLLMError(new Error('late'), 'run-3');
    handler.handleLLMError(new Error('unknown'), 'run-4');
    expect(failed).toEqual(['Human: hi\nAI: yo\nHuman: again', 'raw prompt']);
  });
});
