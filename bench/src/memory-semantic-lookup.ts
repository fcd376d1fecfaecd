import { createSemanticCache, MemoryStore } from '@semcache/core';
import { ms } from './lib/format.ts';
import { summarize } from './stats.ts';
import { makeSentences, perturb, seededRandom } from './synthetic-text.ts';

/**
 * Semantic lookup latency through `createSemanticCache().lookup` with a MemoryStore holding
 * `entries` entries in ONE context partition (same model, params and system prompt).
 */
export async function memorySemanticLookup(entries: number, queries = 300) {
  const store = new MemoryStore({
    maxEntries: entries + 10,
    maxBytes: 8 * 1024 ** 3,
    sweepIntervalMs: 0,
  });
  const cache = createSemanticCache({ store });
  const request = (text: string) => ({
    model: { provider: 'bench', id: 'gpt-4.1' },
    messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }],
  });
  const sentences = makeSentences(entries, 7);
  const fillStart = performance.now();
  for (const text of sentences) await cache.store(request(text), { value: { text: 'answer' } });
  const fillMs = performance.now() - fillStart;
  const random = seededRandom(11);
  const hitSamples: number[] = [];
  const missSamples: number[] = [];
  let hits = 0;
  const fresh = makeSentences(queries, 99);
  for (let i = 0; i < queries; i++) {
    const near = request(perturb(sentences[Math.floor(random() * entries)] as string, random));
    let started = performance.now();
    const result = await cache.lookup(near);
    hitSamples.push(performance.now() - started);
    if (result.kind === 'semantic') hits++;
    started = performance.now();
    await cache.lookup(request(fresh[i] as string));
    missSamples.push(performance.now() - started);
  }
  await cache.close();
  await store.close();
  return {
    entries,
    fillMs,
    near: summarize(hitSamples),
    fresh: summarize(missSamples),
    hitRate: hits / queries,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const n of (process.argv[2] ?? '1000,10000,100000').split(',').map(Number)) {
    const r = await memorySemanticLookup(n);
    console.log(
      `${n} entries: near-duplicate lookup p50 ${ms(r.near.p50)} p99 ${ms(r.near.p99)} (semantic hit rate ${(r.hitRate * 100).toFixed(0)} %), unrelated lookup p50 ${ms(r.fresh.p50)} p99 ${ms(r.fresh.p99)}; fill ${(r.fillMs / 1000).toFixed(1)} s`,
    );
  }
}
