// A terminal chatbot: each question is streamed through semcache, and each answer says whether it
// came from the cache (exact / semantic with its similarity) and how long it took.
// HOLYSHEEP_API_KEY set → HolySheep; otherwise a local mock model with ~600 ms latency.
// Lines piped on stdin are answered one by one (for scripts and smoke tests).
import { createInterface } from 'node:readline/promises';
import { createHolySheep, type SemcacheMetadata, semanticCacheMiddleware } from '@semcache/ai-sdk';
import { createSemanticCache } from '@semcache/core';
import { startMockOpenAI } from '@semcache/mock-openai';
import { streamText, wrapLanguageModel } from 'ai';

const apiKey = process.env.HOLYSHEEP_API_KEY;
const mock = apiKey ? undefined : await startMockOpenAI({ latencyMs: 600, chunkDelayMs: 20 });
const holysheep = createHolySheep({
  apiKey: apiKey ?? 'mock-key',
  ...(mock ? { baseURL: mock.url } : {}),
});
const cache = createSemanticCache();
const model = wrapLanguageModel({
  model: holysheep(process.env.SEMCACHE_MODEL ?? 'gpt-4.1'),
  middleware: semanticCacheMiddleware({ cache, replay: { chunkDelayMs: 5 } }),
});

const interactive = process.stdin.isTTY === true;
const lines = createInterface({
  input: process.stdin,
  output: process.stdout,
  terminal: interactive,
});
console.log(
  `semcache chatbot on ${mock ? 'a local mock model' : 'HolySheep'} — ask anything, twice; empty line or Ctrl-D quits.`,
);

const ask = async (question: string) => {
  const started = performance.now();
  const result = streamText({ model, prompt: question });
  process.stdout.write('bot: ');
  for await (const delta of result.textStream) process.stdout.write(delta);
  const meta = (await result.providerMetadata)?.semcache as SemcacheMetadata | undefined;
  const status =
    meta?.hit === 'semantic'
      ? `semantic hit, similarity ${meta.similarity?.toFixed(3)}`
      : meta?.hit === 'exact'
        ? 'exact hit'
        : 'miss → model';
  console.log(`\n     [${status}, ${(performance.now() - started).toFixed(0)} ms]`);
};

if (interactive) {
  for (;;) {
    const question = (await lines.question('you: ').catch(() => '')).trim();
    if (!question) break;
    await ask(question);
  }
} else {
  for await (const line of lines) {
    if (line.trim()) {
      console.log(`you: ${line.trim()}`);
      await ask(line.trim());
    }
  }
}
lines.close();
const stats = cache.stats();
console.log(
  `bye — ${stats.exactHits + stats.semanticHits} answers from cache, ${stats.misses} from the model.`,
);
await mock?.close();
