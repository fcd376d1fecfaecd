/**
 * Turns texts into vectors for semantic matching. Vectors must be L2-normalised so that the dot
 * product is the cosine similarity.
 */
export interface Embedder {
  /** Stable id; part of the index partition so vectors of different models are never compared. */
  readonly id: string;
  /** Length of every vector `embed` returns. */
  readonly dimensions: number;
  /** One vector per text, in order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}
