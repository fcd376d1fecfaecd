import type { Embedder, SemanticGuard } from '@semcache/core';
import { vetoReason } from '@semcache/core/internal';
import type { Pair } from './pair-data.ts';
import { baselineWords, setJaccard } from './quality-replay.ts';

/** Precision / recall / F1 of `score(a, b) >= threshold` against the labels. */
export interface ClassificationPoint {
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Pair classification of one scorer on one set. */
export interface ClassificationScore {
  method: string;
  points: ClassificationPoint[];
  /** The threshold with the highest F1 (scanning every distinct score). */
  bestF1: ClassificationPoint;
  /**
   * Highest recall at a threshold whose precision is ≥ 0.95 / ≥ 0.99 (0 when none reaches it);
   * `undefined` when the set has no label-0 pairs, so precision says nothing.
   */
  recallAtPrecision95?: number;
  recallAtPrecision99?: number;
  /** The threshold that gives `recallAtPrecision95` / `recallAtPrecision99`. */
  thresholdAtPrecision95?: number;
  thresholdAtPrecision99?: number;
}

/** Scores `a` against `b` for every pair; `-Infinity` means "never a match" (a guard veto). */
export type PairScorer = (pairs: readonly Pair[]) => Promise<Float64Array>;

/**
 * Pair classification (the data README's evaluation 1): for each pair, is `score(a, b) >=
 * threshold`? Precision, recall and F1 at `thresholds`, the best F1 over all thresholds, and the
 * highest recall whose precision is at least 0.95 and 0.99.
 */
export function classify(
  method: string,
  pairs: readonly Pair[],
  scores: Float64Array,
  thresholds: readonly number[],
): ClassificationScore {
  const positives = pairs.filter((p) => p.label === 1).length;
  const negatives = pairs.length - positives;
  const at = (threshold: number): ClassificationPoint => {
    let tp = 0;
    let fp = 0;
    pairs.forEach((pair, i) => {
      if ((scores[i] as number) >= threshold) {
        if (pair.label === 1) tp++;
        else fp++;
      }
    });
    return point(threshold, tp, fp, positives);
  };

  // One pass over the pairs sorted by score gives every threshold's counts.
  const order = [...pairs.keys()].sort((x, y) => (scores[y] as number) - (scores[x] as number));
  let tp = 0;
  let fp = 0;
  let bestF1 = point(Number.POSITIVE_INFINITY, 0, 0, positives);
  let best95: ClassificationPoint | undefined;
  let best99: ClassificationPoint | undefined;
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    const score = scores[i] as number;
    if (score === Number.NEGATIVE_INFINITY) break;
    if ((pairs[i] as Pair).label === 1) tp++;
    else fp++;
    // Only a cut between two different scores is a threshold.
    if (k + 1 < order.length && scores[order[k + 1] as number] === score) continue;
    const p = point(score, tp, fp, positives);
    if (p.f1 > bestF1.f1) bestF1 = p;
    if (p.precision >= 0.95 && p.recall > (best95?.recall ?? -1)) best95 = p;
    if (p.precision >= 0.99 && p.recall > (best99?.recall ?? -1)) best99 = p;
  }
  return {
    method,
    points: thresholds.map(at),
    bestF1,
    ...(negatives > 0
      ? {
          recallAtPrecision95: best95?.recall ?? 0,
          recallAtPrecision99: best99?.recall ?? 0,
          ...(best95 ? { thresholdAtPrecision95: best95.threshold } : {}),
          ...(best99 ? { thresholdAtPrecision99: best99.threshold } : {}),
        }
      : {}),
  };
}

function point(threshold: number, tp: number, fp: number, positives: number): ClassificationPoint {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp / Math.max(1, positives);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { threshold, precision, recall, f1 };
}

/** Cosine similarity of `embedder`'s vectors of `a` and `b`; with `guards`, a veto scores -∞. */
export function embedderScorer(
  embedder: Embedder,
  guards: readonly SemanticGuard[] = [],
): PairScorer {
  return async (pairs) => {
    const texts = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
    const vectors = new Map<string, Float32Array>();
    const batch = 256;
    for (let i = 0; i < texts.length; i += batch) {
      const slice = texts.slice(i, i + batch);
      const embedded = await embedder.embed(slice);
      for (const [j, text] of slice.entries()) vectors.set(text, embedded[j] as Float32Array);
    }
    return Float64Array.from(pairs, (pair) => {
      if (guards.length > 0 && vetoReason(guards, pair.b, pair.a) !== undefined)
        return Number.NEGATIVE_INFINITY;
      return dot(vectors.get(pair.a) as Float32Array, vectors.get(pair.b) as Float32Array);
    });
  };
}

/** The baseline's word-set Jaccard (lower-cased, split on whitespace) of `a` and `b`. */
export const jaccardScorer: PairScorer = async (pairs) =>
  Float64Array.from(pairs, (pair) => setJaccard(baselineWords(pair.a), baselineWords(pair.b)));

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

/**
 * Wraps an embedder so each distinct text is embedded once across the replay and the pair
 * classification (the neural embedders are the slow part of the quality section). Keeps the
 * embedder's `defaultThreshold`, so a cache built on it uses the same threshold.
 */
export function memoizedEmbedder(embedder: Embedder): Embedder {
  const cache = new Map<string, Float32Array>();
  return {
    id: embedder.id,
    dimensions: embedder.dimensions,
    ...(embedder.defaultThreshold === undefined
      ? {}
      : { defaultThreshold: embedder.defaultThreshold }),
    embed: async (texts) => {
      const missing = [...new Set(texts.filter((text) => !cache.has(text)))];
      if (missing.length > 0) {
        const vectors = await embedder.embed(missing);
        for (const [i, text] of missing.entries()) cache.set(text, vectors[i] as Float32Array);
      }
      return texts.map((text) => cache.get(text) as Float32Array);
    },
  };
}
