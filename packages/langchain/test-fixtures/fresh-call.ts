// One new process = one serverless invocation / script run, through LangChain's ChatOpenAI with
// `cache: new SemanticCache(...)` on a RedisStore, asking at once (no wait for `ready` or
// `whenSynced()`), then flushing and exiting. Run by fresh-process.test.ts.
import type { AIMessageChunk } from '@langchain/core/messages';
import { concat } from '@langchain/core/utils/stream';
import { ChatOpenAI } from '@langchain/openai';
import { createSemanticCache } from '@semcache/core';
import { readCacheInfo, SemanticCache, withSemanticCache } from '@semcache/langchain';
import { RedisStore } from '@semcache/redis';
import { Redis } from 'ioredis';

interface Task {
  redisUrl: string;
  prefix: string;
  baseURL: string;
  prompts: string[];
  /** Stream through withSemanticCache instead of invoking through the cache option. */
  stream?: boolean;
}

const task = JSON.parse(process.argv[2] ?? '{}') as Task;
const redis = new Redis(task.redisUrl, {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  enableAutoPipelining: true,
});
redis.on('error', () => {});
const store = new RedisStore({ client: redis, prefix: task.prefix });
const core = createSemanticCache({ store });
const cache = new SemanticCache({ cache: core });
const model = (fields: ConstructorParameters<typeof ChatOpenAI>[0] = {}) => {
  const llm = new ChatOpenAI({
    model: 'gpt-4.1',
    apiKey: 'test-key',
    maxRetries: 0,
    configuration: { baseURL: task.baseURL },
    ...fields,
  });
  // Streaming token counting would download tiktoken data; tests stay offline.
  llm.getNumTokens = async (content: unknown) => (typeof content === 'string' ? content.length : 1);
  return llm;
};

async function ask(prompt: string) {
  if (task.stream) {
    let message: AIMessageChunk | undefined;
    for await (const chunk of await withSemanticCache(model(), { cache: core }).stream(prompt)) {
      message = message ? concat(message, chunk) : chunk;
    }
    const info = message ? readCacheInfo(message) : undefined;
    return { text: message?.text ?? '', hit: info?.coalesced ? 'coalesced' : info?.hit };
  }
  const answer = await model({ cache, callbacks: [cache.failureHandler] }).invoke(prompt);
  const info = readCacheInfo(answer);
  return { text: answer.text, hit: info?.coalesced ? 'coalesced' : info?.hit };
}

const answers = await Promise.all(task.prompts.map(ask));
await core.flush();
process.stdout.write(`RESULT ${JSON.stringify({ answers })}\n`);
process.exit(0);
