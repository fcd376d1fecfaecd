// A terminal chatbot on LangChain.js: every answer is streamed through semcache and followed by
// where it came from (exact / semantic hit with its similarity, or the model), and how long it took.
// HOLYSHEEP_API_KEY set → HolySheep; otherwise a local mock model with ~600 ms latency.
// Each question is answered on its own (no chat history), so repeated questions can hit.
// Lines piped on stdin are answered one by one (for scripts and smoke tests).
import { createInterface } from 'node:readline/promises';
import type { AIMessageChunk } from '@langchain/core/messages';
import { concat } from '@langchain/core/utils/stream';
import { ChatOpenAI } from '@langchain/openai';
import { createSemanticCache } from '@semcache/core';
import { type CacheInfo, readCacheInfo, withSemanticCache } from '@semcache/langchain';
import { startMockOpenAI } from '@semcache/mock-openai';

const apiKey = process.env.HOLYSHEEP_API_KEY || undefined;
const mock = apiKey ? undefined : await startMockOpenAI({ latencyMs: 600, chunkDelayMs: 20 });
const cache = createSemanticCache({
  threshold: Number(process.env.SEMCACHE_THRESHOLD ?? 0.9),
});
const model = new ChatOpenAI({
  model: process.env.SEMCACHE_MODEL ?? 'gpt-4.1',
  apiKey: apiKey ?? 'mock-key',
  configuration: { baseURL: mock ? mock.url : 'https://api.holysheep.ai/v1' },
  maxRetries: 2,
});
const llm = withSemanticCache(model, { cache });
const system = 'You are a concise, friendly assistant. Answer in at most three sentences.';

const interactive = process.stdin.isTTY === true;
const lines = createInterface({
  input: process.stdin,
  output: process.stdout,
  terminal: interactive,
});
console.log(
  `semcache × LangChain chatbot on ${mock ? 'a local mock model' : 'HolySheep'} — ask anything, twice; /stats shows counters; an empty line or Ctrl-D quits.`,
);

async function ask(question: string): Promise<void> {
  const started = performance.now();
  let firstTokenMs: number | undefined;
  let answer: AIMessageChunk | undefined;
  process.stdout.write('bot: ');
  try {
    const stream = await llm.stream([
      ['system', system],
      ['human', question],
    ]);
    for await (const chunk of stream) {
      if (chunk.text) {
        firstTokenMs ??= performance.now() - started;
        process.stdout.write(chunk.text);
      }
      answer = answer === undefined ? chunk : concat(answer, chunk);
    }
  } catch (error) {
    console.log(`\n     [error: ${error instanceof Error ? error.message : String(error)}]`);
    return;
  }
  const totalMs = performance.now() - started;
  const info = answer ? readCacheInfo(answer) : undefined;
  const timing = `first token ${(firstTokenMs ?? totalMs).toFixed(0)} ms, total ${totalMs.toFixed(0)} ms`;
  console.log(`\n     [${describe(info)}, ${timing}]`);
}

function describe(info: CacheInfo | undefined): string {
  if (!info) return 'not cacheable → model';
  if (info.coalesced) return 'shared an identical call in flight';
  if (info.hit === 'miss') return `miss → model${info.stored ? ', stored' : ', not stored'}`;
  const saved = info.savedUsd === undefined ? '' : `, saved ~$${info.savedUsd.toFixed(5)}`;
  if (info.hit === 'semantic') {
    return `semantic hit, similarity ${(info.similarity ?? 0).toFixed(3)}${saved}`;
  }
  return `exact hit, entry ${((info.ageMs ?? 0) / 1000).toFixed(1)} s old${saved}`;
}

function statsLine(): string {
  const stats = cache.stats();
  return `${stats.exactHits} exact hits, ${stats.semanticHits} semantic hits, ${stats.misses} misses, ${stats.stores} stored, ~$${stats.savedUsd.toFixed(5)} saved`;
}

async function handle(line: string): Promise<void> {
  if (line === '/stats') console.log(`     [${statsLine()}]`);
  else await ask(line);
}

if (interactive) {
  for (;;) {
    const line = (await lines.question('you: ').catch(() => '')).trim();
    if (!line) break;
    await handle(line);
  }
} else {
  for await (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    console.log(`you: ${line}`);
    await handle(line);
  }
}
lines.close();
console.log(`bye — ${statsLine()}.`);
await cache.close();
await mock?.close();
