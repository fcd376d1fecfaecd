/**
 * Turns texts into vectors for semantic matching. Vectors must be L2-normalised so that the dot
 * product is the cosine similarity.
 */
export interface Embedder {
  /** Stable id; part of the index partition so vectors of different models are never compared. */
  readonly id: string;
  /** Length of every vector `embed` returns. */
  readonly dimensions: number;
  /**
   * The similarity threshold this embedder was calibrated for (cosine in [0, 1]): the lowest at
   * which false hits stay at or under 2 % on the project's labelled pair sets. The cache uses it
   * when no `threshold` option is given. Similarities of different models are not comparable, so
   * an embedder without one falls back to the lexical embedder's 0.91.
   */
  readonly defaultThreshold?: number;
  /** One vector per text, in order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}
