import type { Pooling } from './model-specs.js';

/**
 * One sentence vector from a model's last hidden state of one input (`tokens × dimensions`,
 * row-major): the mean of the token vectors whose `mask` is 1 (`'mean'`, sentence-transformers'
 * pooling for MiniLM) or the first token's, `[CLS]` (`'cls'`, BGE's). Sums run in float64; the
 * result is not normalised (see {@link l2Normalize}).
 */
export function poolTokens(
  hidden: Float32Array,
  mask: ArrayLike<number>,
  tokens: number,
  dimensions: number,
  pooling: Pooling,
): Float64Array {
  if (hidden.length !== tokens * dimensions || mask.length !== tokens) {
    throw new RangeError(
      `poolTokens: expected ${tokens} × ${dimensions} values and ${tokens} mask entries, got ${hidden.length} and ${mask.length}.`,
    );
  }
  const pooled = new Float64Array(dimensions);
  if (pooling === 'cls') {
    for (let j = 0; j < dimensions; j++) pooled[j] = hidden[j] as number;
    return pooled;
  }
  let counted = 0;
  for (let t = 0; t < tokens; t++) {
    if (mask[t] !== 1) continue;
    counted++;
    const row = t * dimensions;
    for (let j = 0; j < dimensions; j++)
      pooled[j] = (pooled[j] as number) + (hidden[row + j] as number);
  }
  if (counted > 0) for (let j = 0; j < dimensions; j++) pooled[j] = (pooled[j] as number) / counted;
  return pooled;
}

/**
 * Writes `vector` scaled to unit length into `target` at `offset` (float32). Returns `false` and
 * writes nothing when the vector has no length or a non-finite component.
 */
export function l2Normalize(vector: Float64Array, target: Float32Array, offset = 0): boolean {
  let sum = 0;
  for (const value of vector) sum += value * value;
  if (!(sum > 0) || !Number.isFinite(sum)) return false;
  const scale = 1 / Math.sqrt(sum);
  for (let j = 0; j < vector.length; j++) target[offset + j] = (vector[j] as number) * scale;
  return true;
}
