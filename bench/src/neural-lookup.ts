import { createSemanticCache, type Embedder, MemoryStore } from '@semcache/core';
import { count, ms } from './lib/format.ts';
import { pairSets, readPairs } from './pair-data.ts';
import { replayPlan } from './quality-replay.ts';
import { type Summary, summarize } from './stats.ts';
import { makeSentences } from './synthetic-text.ts';

/** The kinds of query {@link neuralLookup} times. */
export type NeuralQueryKind = 'paraphrase' | 'heldOut' | 'synthetic';

/** What {@link neuralLookup} measured. */
export interface NeuralLookupResult {
  entries: number;
  realEntries: number;
  queries: number;
  fillSeconds: number;
  latency: Record<NeuralQueryKind, Summary>;
  semanticHitRate: Record<NeuralQueryKind, number>;
  markdown: string[];
}

const labels: Record<NeuralQueryKind, string> = {
  paraphrase: 'paraphrase (label-1 `b` of qqp-dev / lcqmc)',
  heldOut: 'real question never stored (held-out `a`)',
  synthetic: 'synthetic question never stored (made-up words)',
};

/**
 * Lookup latency through `createSemanticCache().lookup` with a neural embedder and a MemoryStore
 * holding `entries` entries in ONE context partition. Entries: the distinct questions `a` of the
 * pair sets (English and Chinese) except every 50th of qqp-dev and lcqmc, which are held out,
 * then synthetic questions up to `entries`. Three kinds of query, in rotation: a label-1 `b` of
 * qqp-dev or lcqmc whose `a` is stored (a paraphrase), a held-out `a` (a real question with
 * nothing stored for it) and a synthetic question never stored. `fill` embeds the entries (the
 * memoized embedder of the replays: same id, same vectors); `query` is the embedder itself, so
 * every lookup pays a real embedding (one text per inference run).
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
  const heldOut: string[] = [];
  const pairsOf = new Map(pairSets.map((set) => [set, readPairs(options.dataDir, set)]));
  for (const [set, pairs] of pairsOf) {
    const { entries } = replayPlan(pairs);
    entries.forEach((text, i) => {
      const real = set === 'qqp-dev' || set === 'lcqmc';
      if (real && i % 50 === 0) heldOut.push(text);
      else if (questions.size < options.entries) questions.add(text);
    });
  }
  const paraphrases: string[] = [];
  for (const set of ['qqp-dev', 'lcqmc'] as const) {
    for (const pair of pairsOf.get(set) ?? []) {
      if (pair.label === 1 && questions.has(pair.a) && !questions.has(pair.b)) {
        paraphrases.push(pair.b);
      }
    }
  }
  const realEntries = questions.size;
  const synthetic = makeSentences(options.entries - realEntries + queries, 23);
  const fresh = synthetic.slice(options.entries - realEntries);
  for (const text of synthetic.slice(0, options.entries - realEntries)) questions.add(text);
  const held = heldOut.filter((text) => !questions.has(text));

  const store = new MemoryStore({
    maxEntries: options.entries + 3 * queries + 10,
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
    if (++done % 10_000 === 0) {
      process.stderr.write(`  neural lookup: ${count(done)} entries stored\n`);
    }
  }
  const fillSeconds = (performance.now() - fillStart) / 1000;
  const cache = createSemanticCache({ store, embedder: options.query });
  const pick: Record<NeuralQueryKind, (i: number) => string> = {
    paraphrase: (i) =>
      paraphrases[
        (i * Math.max(1, Math.floor(paraphrases.length / queries))) % paraphrases.length
      ] as string,
    heldOut: (i) => held[i % held.length] as string,
    synthetic: (i) => fresh[i % fresh.length] as string,
  };
  const kinds = Object.keys(pick) as NeuralQueryKind[];
  const samples = Object.fromEntries(kinds.map((kind) => [kind, [] as number[]])) as Record<
    NeuralQueryKind,
    number[]
  >;
  const hits = Object.fromEntries(kinds.map((kind) => [kind, 0])) as Record<
    NeuralQueryKind,
    number
  >;
  const warmUp = 20;
  for (let i = 0; i < queries + warmUp; i++) {
    for (const kind of kinds) {
      const started = performance.now();
      const result = await cache.lookup(request(pick[kind](i)));
      const elapsed = performance.now() - started;
      if (i < warmUp) continue;
      samples[kind].push(elapsed);
      if (result.kind === 'semantic') hits[kind]++;
    }
  }
  await cache.close();
  await filler.close();
  await store.close();
  const latency = Object.fromEntries(
    kinds.map((kind) => [kind, summarize(samples[kind])]),
  ) as Record<NeuralQueryKind, Summary>;
  const semanticHitRate = Object.fromEntries(
    kinds.map((kind) => [kind, hits[kind] / queries]),
  ) as Record<NeuralQueryKind, number>;
  return {
    entries: options.entries,
    realEntries,
    queries,
    fillSeconds,
    latency,
    semanticHitRate,
    markdown: [
      `Lookup latency with \`@semcache/embedder-onnx\` (\`cache.lookup()\`: exact GET miss, one embedding, index search, guards; default threshold) against a MemoryStore holding ${count(options.entries)} entries in ONE partition: ${count(realEntries)} distinct questions \`a\` of the four pair sets (every 50th of qqp-dev and lcqmc held out), then synthetic questions (\`bench/src/synthetic-text.ts\`). Three kinds of query in rotation, ${queries} of each after ${warmUp} warm-up rounds. The synthetic questions are made-up words, which MiniLM's tokenizer cuts into many more pieces than real words (≈2× the embedding time of a qqp-dev question), and they sit close together in its space; filling took ${fillSeconds.toFixed(0)} s.`,
      '',
      '| entries | query | p50 | p90 | p99 | semantic hits |',
      '|---|---|---|---|---|---|',
      ...kinds.map(
        (kind) =>
          `| ${count(options.entries)} | ${labels[kind]} | ${ms(latency[kind].p50)} | ${ms(latency[kind].p90)} | ${ms(latency[kind].p99)} | ${((100 * hits[kind]) / queries).toFixed(1)} % |`,
      ),
    ],
  };
}
