import { defaultGuards, type Embedder, type SemanticGuard } from '@semcache/core';
import { VectorIndex, vetoReason } from '@semcache/core/internal';
import type { Pair } from './pair-data.ts';

/** What one question `b` was served in a cache replay: the matched `a` and its similarity. */
export interface Served {
  pair: number;
  /** Index into the distinct `a` list of the entry served, or -1. */
  entry: number;
  similarity: number;
}

/** Replay results at one threshold. */
export interface ReplayScore {
  threshold: number;
  /** label-1 pairs served their own `a`'s answer / label-1 pairs asked. */
  recall: number;
  /** label-0 pairs served their own `a`'s answer (a known wrong answer) / label-0 pairs asked. */
  falsePositiveRate: number;
  /** Questions served some other entry's answer / questions asked. */
  otherHitRate: number;
  asked: number;
}

/** Distinct `a` texts and the pairs whose `b` is not itself a stored `a`. */
export function replayPlan(pairs: Pair[]) {
  const entries = [...new Set(pairs.map((p) => p.a))];
  const entryIndex = new Map(entries.map((text, i) => [text, i]));
  const asked = pairs.map((pair, i) => ({ pair, i })).filter(({ pair }) => !entryIndex.has(pair.b));
  return { entries, entryIndex, asked };
}

/**
 * Cache replay with an embedder: every distinct `a` stored in one partition, every `b` looked up;
 * the served entry is the most similar candidate (of `candidates`) that passes `guards`.
 */
export async function replayWithEmbedder(
  pairs: Pair[],
  embedder: Embedder,
  options: { guards?: readonly SemanticGuard[]; minSimilarity?: number; candidates?: number } = {},
): Promise<Served[]> {
  const { entries, asked } = replayPlan(pairs);
  const guards = options.guards ?? defaultGuards;
  const index = new VectorIndex({ dimensions: embedder.dimensions });
  const batch = 256;
  for (let i = 0; i < entries.length; i += batch) {
    const vectors = await embedder.embed(entries.slice(i, i + batch));
    for (const [j, vector] of vectors.entries()) index.add(String(i + j), vector);
  }
  const served: Served[] = [];
  for (let i = 0; i < asked.length; i += batch) {
    const slice = asked.slice(i, i + batch);
    const vectors = await embedder.embed(slice.map(({ pair }) => pair.b));
    slice.forEach(({ pair, i: pairIndex }, j) => {
      const matches = index.search(vectors[j] as Float32Array, {
        minSimilarity: options.minSimilarity ?? 0.5,
        limit: options.candidates ?? 4,
      });
      const match = matches.find(
        (m) => vetoReason(guards, pair.b, entries[Number(m.id)] as string) === undefined,
      );
      served.push({
        pair: pairIndex,
        entry: match ? Number(match.id) : -1,
        similarity: match?.similarity ?? 0,
      });
    });
  }
  return served;
}

/**
 * Words as the baseline (`bench/baselines/keys-jaccard-cache.ts`, `wordJaccard`) splits them:
 * lower-cased, split on whitespace, empty strings dropped.
 */
export function baselineWords(text: string): Set<string> {
  return new Set(text.toLowerCase().split(/\s+/).filter(Boolean));
}

/** Jaccard similarity of two word sets, exactly as the baseline's `wordJaccard` (two empty sets: 1). */
export function setJaccard(left: Set<string>, right: Set<string>): number {
  if (left.size === 0 && right.size === 0) return 1;
  let shared = 0;
  for (const word of left) if (right.has(word)) shared++;
  return shared / (left.size + right.size - shared);
}

/**
 * The baseline this project replaces (`KeysJaccardCache`): exact key GET, then on a miss every
 * entry (`KEYS prefix*`, GET each) is compared by word-set Jaccard ≥ threshold and the first
 * match is served. The replay skips questions that are themselves stored (the exact GET would
 * answer them), and scans entries in insertion order; Redis returns `KEYS` in hash-table order,
 * which is just as arbitrary.
 */
export function replayWithJaccard(pairs: Pair[], threshold = 0.85): Served[] {
  const { entries, asked } = replayPlan(pairs);
  const sets = entries.map(baselineWords);
  return asked.map(({ pair, i }) => {
    const words = baselineWords(pair.b);
    for (let e = 0; e < sets.length; e++) {
      const similarity = setJaccard(words, sets[e] as Set<string>);
      if (similarity >= threshold) return { pair: i, entry: e, similarity };
    }
    return { pair: i, entry: -1, similarity: 0 };
  });
}

/** Scores replay results at a threshold. */
export function scoreReplay(pairs: Pair[], served: Served[], threshold: number): ReplayScore {
  const { entryIndex } = replayPlan(pairs);
  let positives = 0;
  let negatives = 0;
  let recalled = 0;
  let falsePositives = 0;
  let other = 0;
  for (const s of served) {
    const pair = pairs[s.pair] as Pair;
    const own = entryIndex.get(pair.a);
    const hit = s.entry >= 0 && s.similarity >= threshold;
    if (pair.label === 1) positives++;
    else negatives++;
    if (!hit) continue;
    if (s.entry === own) {
      if (pair.label === 1) recalled++;
      else falsePositives++;
    } else other++;
  }
  return {
    threshold,
    recall: recalled / Math.max(1, positives),
    falsePositiveRate: falsePositives / Math.max(1, negatives),
    otherHitRate: other / Math.max(1, served.length),
    asked: served.length,
  };
}
