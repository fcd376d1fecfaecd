import type { BaseMessage } from '@langchain/core/messages';
import { ChatOpenAI, type ChatOpenAIFields } from '@langchain/openai';
import { type MockOpenAIServer, startMockOpenAI } from '@semcache/mock-openai';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { readCacheInfo } from './cache-info.js';

/** Starts one mock OpenAI server for a test file and resets its counters after each test. */
export function useMockServer(): () => MockOpenAIServer {
  let server: MockOpenAIServer | undefined;
  beforeAll(async () => {
    server = await startMockOpenAI();
  });
  afterEach(() => server?.reset());
  afterAll(async () => {
    await server?.close();
  });
  return () => {
    if (!server) throw new Error('mock server not started');
    return server;
  };
}

/** A ChatOpenAI pointed at the mock server, without retries and without token-counting downloads. */
export function mockChat(server: MockOpenAIServer, fields: ChatOpenAIFields = {}): ChatOpenAI {
  const model = new ChatOpenAI({
    model: 'gpt-4.1',
    apiKey: 'test-key',
    maxRetries: 0,
    ...fields,
    configuration: { baseURL: server.url, ...fields.configuration },
  });
  // Streaming models count tokens with tiktoken, which downloads its data; tests stay offline.
  const count = async (content: unknown) => (typeof content === 'string' ? content.length : 1);
  model.getNumTokens = count;
  const parts = model as unknown as Record<
    'completions' | 'responses',
    { getNumTokens: typeof count } | undefined
  >;
  for (const inner of [parts.completions, parts.responses]) {
    if (inner) inner.getNumTokens = count;
  }
  return model;
}

/** `exact`, `semantic`, `coalesced` or `miss` — or `undefined` when the cache did not see the call. */
export function cacheStatus(message: BaseMessage): string | undefined {
  const info = readCacheInfo(message);
  return info?.coalesced ? 'coalesced' : info?.hit;
}
