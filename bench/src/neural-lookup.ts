import { createSemanticCache, type Embedder, MemoryStore } from '@semcache/core';
import { count, ms } from './lib/format.ts';
import { pairSets, readPairs } from './pair-data.ts';
import { replayPlan } from './quality-replay.ts';
import { type Summary, summarize } from './stats.ts';
import { makeSentences } from './synthetic-text.ts';

/** What {@link neuralLookup} measured. */
export interface NeuralLookupResult {
  entries: number;
  realEntries: number;
  queries: number;
  fillSeconds: number;
  paraphrase: Summary;
  unrelated: Summary;
  paraphraseHitRate: number;
  unrelatedHitRate: number;
  markdown: string[];
}

/**
 * Lookup latency through `createSemanticCache().lookup` with a neural embedder and a MemoryStore
 * holding `entries` entries in ONE context partition. Entries: every distinct question `a` of the
 * pair sets (English and Chinese), then synthetic questions up to `entries`. Queries, alternated:
 * a label-1 `b` of qqp-dev or lcqmc (a paraphrase of a stored question, never stored itself) and a
 * synthetic question that was never stored. `fill` embeds the entries (the memoized embedder of
 * the replays, same id and same vectors); `query` is the embedder itself, so every lookup pays a
 * real embedding (one text per inference run).
 */
export async function neuralLookup(options: {
  fill: Embedder;
  query: Embedder;
  dataDir: string;
  entries: number;
  queries?: number;
}): Promise<NeuralLookupResult> {
  const queries = options.queries ?? 400;
  const questions = new Set<string>();
  const paraphrases: string[] = [];
  for (const set of pairSets) {
    const pairs = readPairs(options.dataDir, set);
    const { entries, asked } = replayPlan(pairs);
    for (const text of entries) if (questions.size < options.entries) questions.add(text);
    if (set === 'qqp-dev' || set === 'lcqmc') {
      for (const { pair } of asked) if (pair.label === 1) paraphrases.push(pair.b);
    }
  }
  const realEntries = questions.size;
  const synthetic = makeSentences(options.entries - realEntries + queries, 23);
  const fresh = synthetic.slice(options.entries - realEntries);
  for (const text of synthetic.slice(0, options.entries - realEntries)) questions.add(text);
  const asked = paraphrases.filter((text) => !questions.has(text));

  const store = new MemoryStore({
    maxEntries: options.entries + 2 * queries + 10,
    maxBytes: 16 * 1024 ** 3,
    sweepIntervalMs: 0,
  });
  const request = (text: string) => ({
    model: { provider: 'bench', id: 'gpt-4.1' },
    messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }],
  });
  const filler = createSemanticCache({ store, embedder: options.fill });
  const fillStart = performance.now();
  let done = 0;
  for (const text of questions) {
    await filler.store(request(text), { value: { text: 'answer' } });
    if (++done % 10_000 === 0)
      process.stderr.write(`  neural lookup: ${count(done)} entries stored\n`);
  }
  const fillSeconds = (performance.now() - fillStart) / 1000;
  const cache = createSemanticCache({ store, embedder: options.query });
  const paraphraseSamples: number[] = [];
  const unrelatedSamples: number[] = [];
  let paraphraseHits = 0;
  let unrelatedHits = 0;
  const step = Math.max(1, Math.floor(asked.length / queries));
  const warmUp = 20;
  for (let i = 0; i < queries + warmUp; i++) {
    const near = asked[((i * step) % asked.length) + 0] as string;
    let started = performance.now();
    const hit = await cache.lookup(request(near));
    const nearMs = performance.now() - started;
    started = performance.now();
    const miss = await cache.lookup(request(fresh[i % fresh.length] as string));
    const freshMs = performance.now() - started;
    if (i < warmUp) continue;
    paraphraseSamples.push(nearMs);
    unrelatedSamples.push(freshMs);
    if (hit.kind === 'semantic') paraphraseHits++;
    if (miss.kind === 'semantic') unrelatedHits++;
  }
  await cache.close();
  await filler.close();
  await store.close();
  const paraphrase = summarize(paraphraseSamples);
  const unrelated = summarize(unrelatedSamples);
  return {
    entries: options.entries,
    realEntries,
    queries,
    fillSeconds,
    paraphrase,
    unrelated,
    paraphraseHitRate: paraphraseHits / queries,
    unrelatedHitRate: unrelatedHits / queries,
    markdown: [
      `Lookup latency with \`@semcache/embedder-onnx\` (\`cache.lookup()\`: exact GET miss, one embedding, index search, guards; default threshold) against a MemoryStore holding ${count(options.entries)} entries in ONE partition: the ${count(realEntries)} distinct questions \`a\` of the four pair sets, then synthetic questions (\`bench/src/synthetic-text.ts\`). Queries alternate: a label-1 \`b\` of qqp-dev or lcqmc (a paraphrase of a stored question) and a synthetic question never stored; ${queries} of each after ${warmUp} warm-up rounds. Filling took ${fillSeconds.toFixed(0)} s.`,
      '',
      '| entries | query | p50 | p90 | p99 | semantic hits |',
      '|---|---|---|---|---|---|',
      `| ${count(options.entries)} | paraphrase (qqp-dev / lcqmc \`b\`) | ${ms(paraphrase.p50)} | ${ms(paraphrase.p90)} | ${ms(paraphrase.p99)} | ${((100 * paraphraseHits) / queries).toFixed(1)} % |`,
      `| ${count(options.entries)} | unrelated (synthetic) | ${ms(unrelated.p50)} | ${ms(unrelated.p90)} | ${ms(unrelated.p99)} | ${((100 * unrelatedHits) / queries).toFixed(1)} % |`,
    ],
  };
}
