import type { Embedder } from './embedder.js';
import { antonymGuard, negationGuard, numbersGuard, vetoReason } from './guards.js';
import type { JsonValue } from './json.js';
import { cosineSimilarity } from './similarity.js';

/**
 * Decides whether two answers to (near-)identical requests are equivalent: the cached one and the
 * model's fresh one. Called when the cache verifies a semantic candidate (see {@link VerifyOptions}).
 * `true` = the cached answer would have been right.
 */
export type AnswerJudge = (input: {
  /** The stored entry's value (the adapter's JSON shape). */
  cached: JsonValue;
  /** The model's fresh answer to the new request, same shape. */
  fresh: JsonValue;
  /** The text of the new request that was matched, and of the stored entry's request. */
  request: string;
  cachedRequest: string;
}) => boolean | Promise<boolean>;

/** Options of verified semantic caching (`createSemanticCache({ verify })`). */
export interface VerifyOptions {
  /**
   * The false-hit rate you accept among served semantic hits, in (0, 1): a semantic candidate is
   * served only when the estimated probability that its answer is wrong, an upper bound learned
   * from verified outcomes, is at most this.
   * @default 0.02
   */
  maxFalseHitRate?: number;
  /**
   * Candidates below this similarity are never considered (neither served nor verified).
   * @default 0.8
   */
  minSimilarity?: number;
  /**
   * The longest share of would-be semantic hits that may be verified (each costs a model call the
   * hit would have saved, and a judge call); past it, uncertain candidates are plain misses.
   * @default 1
   */
  maxVerifyShare?: number;
  /**
   * Compares two answers. The default needs no service: equal texts are equal; otherwise the
   * cache's embedder on the two answer texts (cosine ≥ 0.9) with the number, negation and antonym
   * guards. Plug in an LLM judge for free-form answers (`aiSdkJudge`, `langchainJudge`).
   * @default embedding judge
   */
  judge?: AnswerJudge;
}

/** One similarity bin's verified outcomes. */
export interface OutcomeBin {
  /** Bin number: similarity × 100, floored (0.953 → 95). */
  bin: number;
  correct: number;
  wrong: number;
}

/** Resolved verification options. */
export interface ResolvedVerify {
  maxFalseHitRate: number;
  minSimilarity: number;
  maxVerifyShare: number;
  judge: AnswerJudge | undefined;
}

/** What the cache does with a semantic candidate under verification. */
export type VerifyDecision =
  | { action: 'serve'; errorEstimate: number; informed: boolean }
  | { action: 'verify'; errorEstimate: number; informed: boolean }
  | { action: 'skip'; reason: string };

/** The bin of a similarity. */
export function binOf(similarity: number): number {
  return Math.max(0, Math.min(100, Math.floor(similarity * 100 + 1e-9)));
}

/** How far below a candidate's similarity pooled outcomes still count for it (bins). */
const poolWindowBins = 3;
/** z of the one-sided bound used for the error estimate (≈ 90 %). */
const z = 1.28;

/**
 * The error estimate of serving a candidate at `similarity`. A candidate is *informed* when its
 * entry was already checked right at this similarity or below (error is taken to fall as
 * similarity rises), else *uninformed*; each kind is estimated from the outcomes pooled over every
 * entry of its embedder for that kind (a prior that makes little traffic enough), at the same or
 * slightly lower similarity (conservative). A wrong outcome of this entry at the same or higher
 * similarity rules it out. The estimate is an upper bound (Wilson score, one-sided ≈ 90 %), so the
 * served false-hit rate of each kind stays within `maxFalseHitRate`.
 */
export function decide(
  similarity: number,
  entry: readonly OutcomeBin[],
  pooled: { uninformed: readonly OutcomeBin[]; informed: readonly OutcomeBin[] },
  options: ResolvedVerify,
): VerifyDecision {
  if (similarity < options.minSimilarity) return { action: 'skip', reason: 'below minSimilarity' };
  const bin = binOf(similarity);
  if (entry.some((b) => b.bin >= bin && b.wrong > 0)) {
    return { action: 'skip', reason: 'this entry was wrong at this similarity or above' };
  }
  const informed = entry.some((b) => b.bin <= bin && b.correct > 0);
  let wrong = 0;
  let total = 0;
  // Informed candidates: every informed outcome at this similarity or below (there are few
  // errors to learn from, and lower similarities only make the estimate more cautious).
  const lowest = informed ? 0 : bin - poolWindowBins;
  for (const b of informed ? pooled.informed : pooled.uninformed) {
    if (b.bin <= bin && b.bin > lowest) {
      wrong += b.wrong;
      total += b.correct + b.wrong;
    }
  }
  const errorEstimate = wilsonUpper(wrong, total);
  return errorEstimate <= options.maxFalseHitRate
    ? { action: 'serve', errorEstimate, informed }
    : { action: 'verify', errorEstimate, informed };
}

/** Upper Wilson bound of a proportion `k / n` (1 with no data). */
export function wilsonUpper(k: number, n: number): number {
  if (n <= 0) return 1;
  const p = k / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const margin = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.min(1, (centre + margin) / (1 + z2 / n));
}

/** Adds one outcome to a list of bins (in place), returning it. */
export function addOutcome(bins: OutcomeBin[], similarity: number, correct: boolean): OutcomeBin[] {
  const bin = binOf(similarity);
  let found = bins.find((b) => b.bin === bin);
  if (!found) {
    found = { bin, correct: 0, wrong: 0 };
    bins.push(found);
  }
  if (correct) found.correct++;
  else found.wrong++;
  return bins;
}

/** The text of an answer for comparison: every `text` / `content` string in it, in order. */
export function answerText(value: JsonValue): string {
  const parts: string[] = [];
  const visit = (node: JsonValue, key: string | undefined, depth: number) => {
    if (depth > 20) return;
    if (typeof node === 'string') {
      if (
        key === undefined ||
        key === 'text' ||
        key === 'content' ||
        key === 'input' ||
        key === 'arguments'
      ) {
        parts.push(node);
      }
      return;
    }
    if (Array.isArray(node)) {
      for (const item of node) visit(item, key, depth + 1);
      return;
    }
    if (node && typeof node === 'object') {
      for (const [name, child] of Object.entries(node)) visit(child as JsonValue, name, depth + 1);
    }
  };
  visit(value, undefined, 0);
  return parts.length > 0 ? parts.join('\n') : JSON.stringify(value);
}

/** Judge guards: the answers differ in numbers, negation or on/off-like words. */
const answerGuards = [numbersGuard, negationGuard, antonymGuard];

/**
 * The default judge: equal answer texts are equal; otherwise the two texts' embeddings must be
 * close (cosine ≥ `minSimilarity`) and the number, negation and antonym guards must not object.
 */
export function embeddingJudge(embedder: Embedder, minSimilarity = 0.9): AnswerJudge {
  return async ({ cached, fresh }) => {
    const a = answerText(cached).trim();
    const b = answerText(fresh).trim();
    if (a === b) return true;
    if (vetoReason(answerGuards, a, b) !== undefined) return false;
    const [va, vb] = await embedder.embed([a, b]);
    return va !== undefined && vb !== undefined && cosineSimilarity(va, vb) >= minSimilarity;
  };
}

/**
 * The fixed yes/no prompt of the LLM judges (`aiSdkJudge`, `langchainJudge`): one place, so every
 * adapter asks the same question.
 */
export function judgePrompt(input: {
  request: string;
  cached: JsonValue;
  fresh: JsonValue;
}): string {
  return [
    'Two answers were given to requests that may be worded differently. Decide whether answer A would serve the person who sent the request just as well as answer B: the same facts, numbers, decisions and tool calls; wording may differ.',
    '',
    `Request: ${input.request}`,
    '',
    `Answer A: ${answerText(input.cached)}`,
    '',
    `Answer B: ${answerText(input.fresh)}`,
    '',
    'Reply with exactly one word: yes or no.',
  ].join('\n');
}

/** Reads an LLM judge's reply: `true` for a reply starting with "yes" (any case), else `false`. */
export function readJudgeVerdict(reply: string): boolean {
  return /^\W*yes\b/i.test(reply.trim());
}
