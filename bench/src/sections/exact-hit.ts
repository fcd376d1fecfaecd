// Section 1: what an exact hit costs through each adapter, against a raw ioredis GET of the same
// bytes and against @langchain/community's RedisCache. Every variant runs once per round, in an
// order rotated each round, in one process, against one redis-server on loopback.
import { RedisCache } from '@langchain/community/caches/ioredis';
import { BaseCache } from '@langchain/core/caches';
import { AIMessage } from '@langchain/core/messages';
import type { ChatGeneration, Generation } from '@langchain/core/outputs';
import { ChatOpenAI } from '@langchain/openai';
import { semanticCacheMiddleware } from '@semcache/ai-sdk';
import { createSemanticCache, MemoryStore } from '@semcache/core';
import { SemanticCache } from '@semcache/langchain';
import { RedisStore } from '@semcache/redis';
import { generateText, wrapLanguageModel } from 'ai';
import { answerText, benchModel, userRequest } from '../lib/fixtures.ts';
import { bytes, ms, table, times } from '../lib/format.ts';
import { openRedis, scanKeys } from '../lib/redis.ts';
import type { SectionOptions, SectionResult, Target } from '../lib/section.ts';
import { interleaved, type Summary, summarize } from '../stats.ts';

/** Community `RedisCache`, with its key encoder exposed (to size and delete its keys). */
class CommunityRedisCache extends RedisCache {
  keyOf(prompt: string, llmKey: string, index: number): string {
    return this.keyEncoder(prompt, llmKey, String(index));
  }
}

/** Records LangChain's prompt and llmKey for a call and answers it, so no request is sent. */
class RecordingCache extends BaseCache {
  prompt = '';
  llmKey = '';
  readonly answer: Generation[];
  constructor(answer: Generation[]) {
    super();
    this.answer = answer;
  }
  override async lookup(prompt: string, llmKey: string) {
    this.prompt = prompt;
    this.llmKey = llmKey;
    return this.answer;
  }
  override async update() {}
}

const answerChars = 1000;
const question = 'What is the capital of France, and why did it become the capital?';

function chatGeneration(text: string): ChatGeneration {
  return {
    text,
    message: new AIMessage({
      content: text,
      response_metadata: { finish_reason: 'stop', model_name: 'gpt-4.1' },
      usage_metadata: { input_tokens: 14, output_tokens: 250, total_tokens: 264 },
    }),
    generationInfo: { finish_reason: 'stop' },
  };
}

export async function exactHit(options: SectionOptions): Promise<SectionResult> {
  const iterations = options.quick ? 4000 : 15_000;
  const warmup = options.quick ? 300 : 1000;
  const redis = await openRedis('exact');
  const client = await redis.client();
  const answer = answerText(answerChars);

  const redisStore = new RedisStore({ client, prefix: redis.prefix });
  await redisStore.whenSynced();
  const redisCache = createSemanticCache({ store: redisStore });
  const memoryCache = createSemanticCache({ store: new MemoryStore() });
  const model = benchModel(answer);
  const aiRedis = wrapLanguageModel({
    model,
    middleware: semanticCacheMiddleware({ cache: redisCache }),
  });
  const aiMemory = wrapLanguageModel({
    model,
    middleware: semanticCacheMiddleware({ cache: memoryCache }),
  });

  // Prime: one miss each, then check that the next call is an exact hit.
  for (const wrapped of [aiRedis, aiMemory]) {
    await generateText({ model: wrapped, prompt: question });
    const again = await generateText({ model: wrapped, prompt: question });
    const hit = (again.providerMetadata?.semcache as { hit?: string } | undefined)?.hit;
    if (hit !== 'exact' || again.text !== answer) {
      throw new Error(`exact-hit bench: expected an exact hit after priming, got ${String(hit)}`);
    }
  }
  const modelCallsAfterPriming = model.calls;

  // The raw GET reads a byte-for-byte copy of the entry the middleware hits.
  const [entryKey] = await scanKeys(client, `${redis.prefix}*:e:*`);
  if (!entryKey) throw new Error('exact-hit bench: the middleware entry is not in Redis');
  const exactKey = /:e:\{([^}]+)\}$/.exec(entryKey)?.[1] as string;
  const entryBytes = (await client.getBuffer(entryKey)) as Buffer;
  const rawKey = `${redis.prefix}raw-copy`;
  await client.set(rawKey, entryBytes);

  // Core lookup of an entry with the same answer (the engine under both adapters).
  await redisCache.store(userRequest(question), {
    value: { text: answer },
    finishReason: 'stop',
  });
  const coreHit = await redisCache.lookup(userRequest(question));
  if (coreHit.kind !== 'exact') throw new Error('exact-hit bench: core lookup did not hit');

  // LangChain: the prompt and llmKey ChatOpenAI hands a cache, then the same answer in each cache.
  const generation = chatGeneration(answer);
  const recorder = new RecordingCache([generation]);
  const chat = (cache: BaseCache) =>
    new ChatOpenAI({
      model: 'gpt-4.1',
      temperature: 0,
      apiKey: 'sk-bench-not-used',
      configuration: { baseURL: 'http://127.0.0.1:9/v1' },
      maxRetries: 0,
      cache,
    });
  await chat(recorder).invoke(question);
  const { prompt, llmKey } = recorder;
  const lcRedis = new SemanticCache({ cache: createSemanticCache({ store: redisStore }) });
  const lcMemory = new SemanticCache({ cache: createSemanticCache({ store: new MemoryStore() }) });
  const community = new CommunityRedisCache(client, { ttl: 3600 });
  for (const cache of [lcRedis, lcMemory, community]) {
    await cache.update(prompt, llmKey, [chatGeneration(answer)]);
    const found = await cache.lookup(prompt, llmKey);
    if (!found || found[0]?.text !== answer) {
      throw new Error('exact-hit bench: a LangChain cache did not return the primed answer');
    }
  }
  const communityKey = community.keyOf(prompt, llmKey, 0);
  const communityBytes = await client.strlen(communityKey);
  const chatSemcacheRedis = chat(lcRedis);
  const chatCommunity = chat(community);
  const chatSemcacheMemory = chat(lcMemory);
  for (const invoked of [chatSemcacheRedis, chatCommunity, chatSemcacheMemory]) {
    const message = await invoked.invoke(question);
    if (message.content !== answer) throw new Error('exact-hit bench: invoke did not hit');
  }

  const uncached = wrapLanguageModel({
    model: benchModel(answer),
    middleware: {
      specificationVersion: 'v4',
    },
  });

  const samples = await interleaved(
    {
      rawGet: () => client.getBuffer(rawKey),
      storeGet: () => redisStore.get('default', exactKey),
      coreRedis: () => redisCache.lookup(userRequest(question)),
      aiRedis: () => generateText({ model: aiRedis, prompt: question }),
      aiMemory: () => generateText({ model: aiMemory, prompt: question }),
      aiUncached: () => generateText({ model: uncached, prompt: question }),
      lcRedis: () => lcRedis.lookup(prompt, llmKey),
      lcMemory: () => lcMemory.lookup(prompt, llmKey),
      community: () => community.lookup(prompt, llmKey),
      invokeRedis: () => chatSemcacheRedis.invoke(question),
      invokeMemory: () => chatSemcacheMemory.invoke(question),
      invokeCommunity: () => chatCommunity.invoke(question),
    },
    { iterations, warmup },
  );
  if (model.calls !== modelCallsAfterPriming) {
    throw new Error('exact-hit bench: a cached variant called the model during the measurement');
  }
  const s = Object.fromEntries(
    Object.entries(samples).map(([name, list]) => [name, summarize(list as number[])]),
  ) as Record<keyof typeof samples, Summary>;

  const raw = s.rawGet;
  const row = (label: string, store: string, summary: Summary, base: Summary, baseName: string) => [
    label,
    store,
    ms(summary.p50),
    ms(summary.p99),
    `${times(summary.p50 / base.p50)} ${baseName}`,
  ];
  const headers = ['path', 'store', 'p50', 'p99', 'p50 ratio'];
  const aiTable = table(headers, [
    row('raw ioredis `GET` of the same bytes', 'Redis', raw, raw, 'raw GET'),
    row('`RedisStore.get`', 'Redis', s.storeGet, raw, 'raw GET'),
    row('core `cache.lookup`', 'Redis', s.coreRedis, raw, 'raw GET'),
    row('`generateText` + middleware, hit', 'Redis', s.aiRedis, raw, 'raw GET'),
    row('`generateText` + middleware, hit', 'memory', s.aiMemory, raw, 'raw GET'),
    row('`generateText`, no cache, no-op model', '—', s.aiUncached, raw, 'raw GET'),
  ]);
  const lcTable = table(headers, [
    row('community `RedisCache.lookup`', 'Redis', s.community, s.community, 'community'),
    row('semcache `SemanticCache.lookup`', 'Redis', s.lcRedis, s.community, 'community'),
    row('semcache `SemanticCache.lookup`', 'memory', s.lcMemory, s.community, 'community'),
    row(
      '`ChatOpenAI.invoke`, community `RedisCache`',
      'Redis',
      s.invokeCommunity,
      s.invokeCommunity,
      'community',
    ),
    row(
      '`ChatOpenAI.invoke`, semcache `SemanticCache`',
      'Redis',
      s.invokeRedis,
      s.invokeCommunity,
      'community',
    ),
    row(
      '`ChatOpenAI.invoke`, semcache `SemanticCache`',
      'memory',
      s.invokeMemory,
      s.invokeCommunity,
      'community',
    ),
  ]);
  const middlewareAdded = s.aiRedis.p50 - s.aiUncached.p50;
  const targets: Target[] = [
    {
      section: '1',
      name: 'RedisStore hit through `generateText` + middleware vs raw GET (p50)',
      goal: '≤ 1.5×',
      measured: times(s.aiRedis.p50 / raw.p50),
      met: s.aiRedis.p50 <= 1.5 * raw.p50,
    },
    {
      section: '1',
      name: 'the same, counting only what the cache adds to `generateText` (hit − uncached no-op call, p50)',
      goal: '≤ 1.5×',
      measured: times(middlewareAdded / raw.p50),
      met: middlewareAdded <= 1.5 * raw.p50,
    },
    {
      section: '1',
      name: 'LangChain `SemanticCache.lookup` hit (Redis) vs community `RedisCache.lookup` (p50)',
      goal: '≤ 1×',
      measured: times(s.lcRedis.p50 / s.community.p50),
      met: s.lcRedis.p50 <= s.community.p50,
    },
    {
      section: '1',
      name: 'LangChain `ChatOpenAI.invoke` hit: `SemanticCache` (Redis) vs community `RedisCache` (p50)',
      goal: '≤ 1×',
      measured: times(s.invokeRedis.p50 / s.invokeCommunity.p50),
      met: s.invokeRedis.p50 <= s.invokeCommunity.p50,
    },
  ];
  const markdown = [
    `A ${answerChars}-character answer, one question; ${iterations.toLocaleString('en-US')} rounds after ${warmup} warm-up rounds, every path once per round in rotating order, one process, one ioredis client with the README's recommended options (\`enableAutoPipelining\`, no offline queue) shared by all Redis paths. The semcache entry is ${bytes(entryBytes.length)} in Redis (binary header + deflated payload); the raw GET reads a byte-for-byte copy of it. Community \`RedisCache\` stores ${bytes(communityBytes)} of JSON per generation and does two GETs per hit (generation 0, then a miss on generation 1).`,
    '',
    '**AI SDK** (`generateText` with a hand-written no-op `LanguageModelV4`; the uncached row is the floor the framework itself costs):',
    '',
    aiTable,
    '',
    `What the cache adds to \`generateText\` on a Redis hit: ${ms(middlewareAdded)} at p50 (hit ${ms(s.aiRedis.p50)} − uncached ${ms(s.aiUncached.p50)}), against ${ms(raw.p50)} for the GET alone. Where the hit's time goes (differences of medians, so approximate): the GET round trip ${ms(raw.p50)}; RedisStore's own work (command gate, header, inflate) ${ms(s.storeGet.p50 - raw.p50)}; the engine (request validation, canonical JSON + SHA-256 keys, entry decode, stats and events) ${ms(s.coreRedis.p50 - s.storeGet.p50)}; the AI SDK's \`generateText\` itself ${ms(s.aiUncached.p50)}; the middleware's request conversion and result rebuild, and whatever else the Redis round trip costs inside \`generateText\`, the remaining ${ms(s.aiRedis.p50 - s.aiUncached.p50 - s.coreRedis.p50)}.`,
    '',
    '**LangChain** (`lookup(prompt, llmKey)` with the strings `ChatOpenAI` passes, and a whole `invoke()` that hits):',
    '',
    lcTable,
    '',
    `semcache's \`SemanticCache.lookup\` with a MemoryStore, which does no I/O at all, takes ${ms(s.lcMemory.p50)}: the CPU cost of parsing LangChain's prompt and llmKey, stripping secrets, deriving the keys, decoding the entry and rebuilding fresh generations. Community \`RedisCache.lookup\` — two GET round trips, \`JSON.parse\` and \`deserializeStoredGeneration\` — takes ${ms(s.community.p50)} in all; with Redis, semcache adds one GET round trip and RedisStore's decoding (${ms(s.storeGet.p50)} for \`RedisStore.get\`) to its ${ms(s.lcMemory.p50)}.`,
  ].join('\n');

  await client.unlink(communityKey);
  await redisStore.close();
  await redisCache.close();
  await memoryCache.close();
  await redis.stop();
  return {
    id: 'exact-hit',
    title: '1. Exact-hit overhead',
    markdown,
    targets,
    results: {
      iterations,
      warmup,
      answerChars,
      entryBytes: entryBytes.length,
      communityBytes,
      summaries: s,
      middlewareAddedP50Ms: middlewareAdded,
    },
  };
}
