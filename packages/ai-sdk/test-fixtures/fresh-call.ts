// One new process = one serverless invocation / script run: it builds the cache the way the
// Redis README shows, asks its questions at once (no wait for `ready` or `whenSynced()`), prints
// what it got, flushes the cache's pending writes and exits. Run by fresh-process.test.ts.

import { createHolySheep, semanticCacheMiddleware } from '@semcache/ai-sdk';
import { createSemanticCache } from '@semcache/core';
import { RedisStore } from '@semcache/redis';
import { generateText, streamText, wrapLanguageModel } from 'ai';
import { Redis } from 'ioredis';

interface Task {
  redisUrl: string;
  prefix: string;
  baseURL: string;
  /** Asked concurrently. */
  prompts: string[];
  stream?: boolean;
  connectWaitMs?: number;
  /** Ask again after the first answers, to time a call once the store gave up connecting. */
  second?: string;
  /** Exit with process.exit right after flushing, without closing anything. */
  exitAtOnce?: boolean;
}

const task = JSON.parse(process.argv[2] ?? '{}') as Task;
const started = performance.now();
const redis = new Redis(task.redisUrl, {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  enableAutoPipelining: true,
  retryStrategy: () => 200,
});
redis.on('error', () => {});
const store = new RedisStore({
  client: redis,
  prefix: task.prefix,
  ...(task.connectWaitMs === undefined ? {} : { connectWaitMs: task.connectWaitMs }),
});
const cache = createSemanticCache({ store });
const errors: string[] = [];
cache.on('error', ({ error }) => errors.push(error.message));
const model = wrapLanguageModel({
  model: createHolySheep({ apiKey: 'test-key', baseURL: task.baseURL })('gpt-4.1'),
  middleware: semanticCacheMiddleware({ cache }),
});

async function ask(prompt: string) {
  const at = performance.now();
  if (task.stream) {
    const result = streamText({ model, prompt });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    const metadata = (await result.providerMetadata)?.semcache as { hit?: string } | undefined;
    return { text, hit: metadata?.hit, ms: performance.now() - at };
  }
  const result = await generateText({ model, prompt });
  const metadata = result.providerMetadata?.semcache as { hit?: string; coalesced?: boolean };
  return {
    text: result.text,
    hit: metadata?.coalesced ? 'coalesced' : metadata?.hit,
    ms: performance.now() - at,
  };
}

const answers = await Promise.all(task.prompts.map(ask));
const second = task.second === undefined ? undefined : await ask(task.second);
await cache.flush();
process.stdout.write(
  `RESULT ${JSON.stringify({ answers, second, errors, sinceStartMs: performance.now() - started })}\n`,
);
if (task.exitAtOnce) process.exit(0);
await cache.close();
await store.close();
redis.disconnect();
