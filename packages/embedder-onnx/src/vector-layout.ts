import { hash } from 'node:crypto';
import type { ModelKey } from './model-specs.js';

/** Where one kind of vector lives inside the embedder's fixed-length output. */
export interface Block {
  /** First dimension of the block. */
  readonly offset: number;
  /** Number of dimensions. */
  readonly length: number;
}

/**
 * The embedder's output: one 1536-d vector space made of disjoint blocks. Each text fills only
 * its own language's blocks, so an English and a Chinese vector are orthogonal (cosine exactly 0)
 * and never match.
 *
 * | block        | dimensions     | filled for                                                   |
 * | ------------ | -------------- | ------------------------------------------------------------ |
 * | `en`         | `[0, 384)`     | text routed to all-MiniLM-L6-v2: its vector                  |
 * | `zh`         | `[384, 896)`   | text routed to bge-small-zh-v1.5: its vector                 |
 * | `zhLexical`  | `[896, 1408)`  | the same text: core's `lexicalVector(text, 512)` ({@link chineseLexicalWeight}) |
 * | `enShift`    | `1408`         | a constant for every English vector ({@link similarityCalibration}) |
 * | `zhShift`    | `1409`         | the same for Chinese                                         |
 * | `unreadable` | `[1410, 1536)` | text its model cannot read (see {@link unreadableVector})    |
 */
export const vectorLayout = {
  en: { offset: 0, length: 384 },
  zh: { offset: 384, length: 512 },
  zhLexical: { offset: 896, length: 512 },
  enShift: { offset: 1408, length: 1 },
  zhShift: { offset: 1409, length: 1 },
  unreadable: { offset: 1410, length: 126 },
  dimensions: 1536,
} as const satisfies Record<string, Block | number>;

/**
 * Share of the lexical similarity in a Chinese text's similarity: `0.5 × bge cosine + 0.5 ×
 * lexical cosine`. bge-small-zh alone scores word-swapped sentences (pawsx-zh) so high that its
 * false hits stay above 2 % up to cosine 0.97, where it finds fewer lcqmc paraphrases than the
 * lexical embedder; the mix keeps pawsx-zh under 2 % from 0.90 and finds more than either alone
 * (README, "Threshold"). English stays MiniLM alone: a mix lowered its recall on qqp-dev.
 */
export const chineseLexicalWeight = 0.5;

/**
 * The threshold each model was calibrated to on the labelled pair sets (its own cosine; see the
 * README, "Threshold"). The models' similarities are not comparable — bge-small-zh scores
 * word-swapped sentences above 0.96, MiniLM's false hits start lower — but the cache has one
 * threshold. So the embedder maps each model's cosine `c` onto one scale, on which both
 * thresholds become the same number: `similarity = 1 − k × (1 − c)` with
 * `k = (1 − T) / (1 − threshold)`, `T` the highest of the thresholds (the embedder's
 * `defaultThreshold`). The map is exact and keeps every ranking: the model's unit vector is scaled
 * by `√k` and a constant `√(1 − k)` goes into the model's own shift dimension, so the vector
 * stays unit length and the dot product of two vectors of one model is exactly the mapped cosine.
 */
export const similarityCalibration: Readonly<Record<ModelKey, number>> = { en: 0.95, zh: 0.91 };

/** The common threshold `T`: the highest model threshold. */
export const calibratedThreshold = Math.max(...Object.values(similarityCalibration));

/** `k` of {@link similarityCalibration} for one model: how much its `1 − cosine` is shrunk. */
export function similarityScale(model: ModelKey): number {
  return (1 - calibratedThreshold) / (1 - similarityCalibration[model]);
}

/** The dimensions a language's unit vector spans before calibration: `en`, or `zh` + `zhLexical`. */
export function languageLength(model: ModelKey): number {
  return model === 'en'
    ? vectorLayout.en.length
    : vectorLayout.zh.length + vectorLayout.zhLexical.length;
}

/**
 * The embedder's vector for a language's unit vector `unit` (MiniLM's 384 values, or bge's 512
 * followed by the lexical 512): scaled by `√k` into the language's blocks, which are contiguous,
 * `√(1 − k)` in its shift dimension, zeros elsewhere.
 */
export function placeModelVector(model: ModelKey, unit: Float32Array): Float32Array {
  const offset = vectorLayout[model].offset;
  const shift = vectorLayout[model === 'en' ? 'enShift' : 'zhShift'];
  if (unit.length !== languageLength(model)) {
    throw new RangeError(
      `placeModelVector: expected ${languageLength(model)} values, got ${unit.length}.`,
    );
  }
  const k = similarityScale(model);
  const vector = new Float32Array(vectorLayout.dimensions);
  const scale = Math.sqrt(k);
  for (let i = 0; i < unit.length; i++) vector[offset + i] = (unit[i] as number) * scale;
  vector[shift.offset] = Math.sqrt(1 - k);
  return vector;
}

/**
 * A Chinese text's unit vector before calibration: bge's unit vector scaled by
 * `√(1 − chineseLexicalWeight)`, then the lexical unit vector scaled by `√chineseLexicalWeight`,
 * so the dot product of two is `0.5 × bge cosine + 0.5 × lexical cosine`. Renormalised when the
 * text has no lexical features.
 */
export function mixChinese(bge: Float32Array, lexical: Float32Array): Float32Array {
  const mixed = new Float32Array(bge.length + lexical.length);
  const a = Math.sqrt(1 - chineseLexicalWeight);
  const b = Math.sqrt(chineseLexicalWeight);
  let sum = 0;
  for (let i = 0; i < bge.length; i++) {
    mixed[i] = (bge[i] as number) * a;
    sum += (mixed[i] as number) ** 2;
  }
  for (let i = 0; i < lexical.length; i++) {
    mixed[bge.length + i] = (lexical[i] as number) * b;
    sum += (mixed[bge.length + i] as number) ** 2;
  }
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < mixed.length; i++) mixed[i] = (mixed[i] as number) * scale;
  return mixed;
}

/**
 * A unit vector in the `unreadable` block, for a text a model has (almost) no tokens for: no
 * content token at all, or more `[UNK]` than known tokens. Such texts would otherwise all get
 * nearly the same model vector (that of `[CLS] [UNK] [SEP]`) and match each other. Instead each
 * gets a pseudo-random direction derived from SHA-256 of the text: the same text always gets the
 * same vector, two different texts are near-orthogonal (cosine ~ N(0, 1/126): above 0.5 with
 * probability ~1e-8), so they can only be exact hits.
 */
export function unreadableVector(text: string): Float32Array {
  const { offset, length } = vectorLayout.unreadable;
  const vector = new Float32Array(vectorLayout.dimensions);
  let sum = 0;
  for (let chunk = 0; chunk * 32 < length; chunk++) {
    const bytes = hash('sha256', `${chunk}\u0000${text}`, 'buffer');
    for (let i = 0; i < 32 && chunk * 32 + i < length; i++) {
      const value = (bytes[i] as number) - 127.5;
      vector[offset + chunk * 32 + i] = value;
      sum += value * value;
    }
  }
  const scale = 1 / Math.sqrt(sum);
  for (let i = offset; i < offset + length; i++) vector[i] = (vector[i] as number) * scale;
  return vector;
}
