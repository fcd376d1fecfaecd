// A scripted tour of semcache through the Vercel AI SDK. With no configuration it runs offline:
// an in-memory store, the built-in lexical embedder and a local mock model with ~600 ms latency.
// HOLYSHEEP_API_KEY → real calls to HolySheep. REDIS_URL → a shared Redis store, in the stable
// namespace `demo` (run it twice: the second run is served from Redis); `--fresh` starts a new
// namespace instead. `--embedder onnx` → the local neural embedder (@semcache/embedder-onnx), on
// the model files that packages/embedder-onnx/scripts/prepare-test-models.sh puts in place.
import { parseArgs } from 'node:util';
import { createHolySheep, semanticCacheMiddleware } from '@semcache/ai-sdk';
import {
  type CacheStore,
  createSemanticCache,
  type Embedder,
  lexicalEmbedder,
} from '@semcache/core';
import { startMockOpenAI } from '@semcache/mock-openai';
import { generateText, streamText, wrapLanguageModel } from 'ai';

const apiKey = process.env.HOLYSHEEP_API_KEY;
const mock = apiKey ? undefined : await startMockOpenAI({ latencyMs: 600, chunkDelayMs: 15 });
let upstreamCalls = 0;
const holysheep = createHolySheep({
  apiKey: apiKey ?? 'demo-key',
  ...(mock ? { baseURL: mock.url } : {}),
  fetch: (input, init) => {
    upstreamCalls++;
    return fetch(input, init);
  },
});

const { values: flags } = parseArgs({
  // `pnpm demo -- --embedder onnx` may pass the `--` through.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    fresh: { type: 'boolean', default: false },
    embedder: { type: 'string', default: 'lexical' },
  },
});
if (flags.embedder !== 'lexical' && flags.embedder !== 'onnx') {
  console.error(`--embedder must be lexical or onnx, got ${flags.embedder}`);
  process.exit(2);
}
const neural = flags.embedder === 'onnx' ? await openNeuralEmbedder() : undefined;
const redis = await openRedis();
const cache = createSemanticCache({
  ...(redis ? { store: redis.store } : {}),
  ...(neural ? { embedder: neural.embedder } : {}),
});
const namespace = flags.fresh ? `demo-${Date.now()}` : 'demo';
const model = wrapLanguageModel({
  model: holysheep(process.env.SEMCACHE_DEMO_MODEL ?? 'gpt-4.1'),
  middleware: semanticCacheMiddleware({ cache, namespace }),
});

interface Row {
  step: string;
  prompt: string;
  result: string;
  upstream: number;
  latencyMs: number;
  expected: string;
}
const rows: Row[] = [];
const latencies = { hit: [] as number[], miss: [] as number[] };

/** True once step 1 was an exact hit: an earlier run stored everything in Redis. */
let again = false;

async function ask(step: string, prompt: string, expected: string, expectedAgain = 'exact') {
  const before = upstreamCalls;
  const vetoesBefore = cache.stats().vetoes;
  const started = performance.now();
  const result = await generateText({ model, prompt });
  const latencyMs = performance.now() - started;
  const meta = result.providerMetadata?.semcache as
    | { hit: string; similarity?: number }
    | undefined;
  const hit = meta?.hit ?? 'miss';
  latencies[hit === 'miss' ? 'miss' : 'hit'].push(latencyMs);
  const vetoed = cache.stats().vetoes - vetoesBefore;
  const result_ =
    hit === 'semantic'
      ? `semantic (${meta?.similarity?.toFixed(3)})`
      : neural && vetoed > 0
        ? `${hit} (${vetoed} vetoed)`
        : hit;
  if (rows.length === 0 && hit === 'exact') again = true;
  rows.push({
    step,
    prompt,
    result: result_,
    upstream: upstreamCalls - before,
    latencyMs,
    expected: again ? `${expectedAgain} (earlier run)` : expected,
  });
}

console.log(
  `semcache demo — ${mock ? `offline mock model at ${mock.url} (600 ms latency)` : 'HolySheep API'}, ${redis ? `Redis store (namespace "${namespace}"${flags.fresh ? ', fresh' : '; run again to be served from Redis, --fresh for a new one'})` : 'in-memory store'}${neural ? `, embedder ${neural.embedder.id} (threshold ${cache.embedder.defaultThreshold}; models loaded in ${neural.loadMs.toFixed(0)} ms)` : ''}\n`,
);

await ask('1. first question', 'What is the capital of France?', 'miss');
await ask('2. same question again', 'What is the capital of France?', 'exact');
await ask('3. contraction', "What's the capital of France?", 'semantic', 'semantic');
await ask('4. a request', 'Summarize the history of Rome in five sentences', 'miss');
await ask(
  '5. reworded',
  'please summarize the history of rome in five sentences',
  'semantic',
  'semantic',
);
await ask('6. a command', 'Please turn on all the lights in the living room now', 'miss');
await ask(
  '7. its opposite',
  'Please turn off all the lights in the living room now',
  // With the neural embedder this pair scores below its threshold; steps 13–14 show the guard.
  neural ? 'miss (below the threshold)' : 'miss (guard vetoes on/off)',
);

const beforeBurst = upstreamCalls;
const burstStarted = performance.now();
const burst = await Promise.all(
  Array.from({ length: 20 }, () =>
    generateText({ model, prompt: 'Give me one tip for writing clear code.' }),
  ),
);
rows.push({
  step: '8. 20 concurrent identical',
  prompt: 'Give me one tip for writing clear code.',
  result: again
    ? `${burst.filter((r) => r.providerMetadata?.semcache?.hit === 'exact').length} exact`
    : `${burst.filter((r) => r.providerMetadata?.semcache?.coalesced).length} coalesced`,
  upstream: upstreamCalls - beforeBurst,
  latencyMs: performance.now() - burstStarted,
  expected: again ? '0 upstream calls (earlier run)' : '1 upstream call',
});

for (const [step, expected] of [
  ['9. streamed answer', 'miss'],
  ['10. same stream again', 'exact (replayed)'],
] as const) {
  const before = upstreamCalls;
  const started = performance.now();
  const result = streamText({
    model,
    prompt: 'Explain in two sentences why caching LLM answers saves money.',
  });
  let firstChunkMs = 0;
  for await (const _ of result.textStream) firstChunkMs ||= performance.now() - started;
  const hit =
    ((await result.providerMetadata)?.semcache as { hit: string } | undefined)?.hit ?? 'miss';
  const latencyMs = performance.now() - started;
  latencies[hit === 'miss' ? 'miss' : 'hit'].push(latencyMs);
  rows.push({
    step,
    prompt: '(stream) Explain in two sentences…',
    result: `${hit}, first chunk ${firstChunkMs.toFixed(0)} ms`,
    upstream: upstreamCalls - before,
    latencyMs,
    expected: again ? 'exact (earlier run)' : expected,
  });
}

if (neural) {
  // A paraphrase the lexical embedder misses at its own default threshold (0.91).
  const question = 'How do I reset my password?';
  const paraphrase = 'What is the way to reset my password?';
  const lexical = lexicalEmbedder();
  const [a, b] = (await lexical.embed([question, paraphrase])) as [Float32Array, Float32Array];
  const similarity = a.reduce((sum, value, i) => sum + value * (b[i] as number), 0);
  await ask('11. a question', question, 'miss');
  await ask(
    '12. paraphrased',
    paraphrase,
    `semantic (lexical: ${similarity.toFixed(3)} < ${lexical.defaultThreshold}, a miss)`,
  );
  // On/off pairs the neural embedder scores above its threshold: the guard still vetoes.
  await ask('13. a command', 'Turn the heating on in the bedroom', 'miss');
  await ask(
    '14. its opposite',
    'Turn the heating off in the bedroom',
    'miss (guard vetoes on/off)',
  );
}

printTable(rows);
const stats = cache.stats();
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
console.log(`
Totals: ${upstreamCalls} upstream calls for ${rows.length - 1 + 20} requests; hits: ${stats.exactHits} exact, ${stats.semanticHits} semantic; ${stats.coalesced} coalesced; ${stats.vetoes} semantic candidates vetoed by guards
Median latency: hit ${median(latencies.hit).toFixed(1)} ms vs ${latencies.miss.length > 0 ? `miss ${median(latencies.miss).toFixed(0)} ms` : 'no miss in this run'}
Estimated saved: $${stats.savedUsd.toFixed(6)} (token usage × the gpt-4.1 list price; a demo this small saves fractions of a cent)`);

// Waits for pending writes, then closes what the demo opened, so the process exits by itself.
await cache.close();
await redis?.close();
await mock?.close();
await neural?.embedder.close();

function printTable(table: Row[]) {
  const header = ['step', 'prompt', 'cache', 'upstream', 'latency', 'expected'];
  const lines = table.map((r) => [
    r.step,
    r.prompt.length > 42 ? `${r.prompt.slice(0, 41)}…` : r.prompt,
    r.result,
    String(r.upstream),
    `${r.latencyMs.toFixed(r.latencyMs < 10 ? 2 : 0)} ms`,
    r.expected,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(format(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const line of lines) console.log(format(line));
}

async function openNeuralEmbedder(): Promise<{
  embedder: Embedder & { close(): Promise<void> };
  loadMs: number;
}> {
  const [{ onnxEmbedder }, { preparedModelsDir }] = await Promise.all([
    import('@semcache/embedder-onnx'),
    import('@semcache/embedder-onnx/testing'),
  ]);
  try {
    const embedder = await onnxEmbedder({ cacheDir: preparedModelsDir() });
    const started = performance.now();
    await embedder.load(); // so the first lookup does not spend the embed timeout on loading
    return { embedder, loadMs: performance.now() - started };
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}

async function openRedis(): Promise<{ store: CacheStore; close(): Promise<void> } | undefined> {
  const url = process.env.REDIS_URL;
  if (!url) return undefined;
  const [{ RedisStore }, { Redis }] = await Promise.all([
    import('@semcache/redis'),
    import('ioredis'),
  ]);
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  const store = new RedisStore({ client });
  return {
    store,
    close: async () => {
      await store.close();
      await client.quit().catch(() => client.disconnect());
    },
  };
}
