import { hash32 } from '@semcache/core/internal';

/**
 * A deterministic, L2-normalised embedding: the signed counts of the hashed character trigrams of
 * the lowercased, whitespace-collapsed text. Identical texts get identical vectors, near-duplicates
 * a high cosine, unrelated texts a cosine near zero. Text without trigrams gets a fixed unit vector.
 */
export function embedText(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const normalized = text.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();
  const chars = Array.from(` ${normalized} `);
  for (let i = 0; i + 3 <= chars.length; i++) {
    const hash = hash32(chars.slice(i, i + 3).join(''));
    // Signed hashing keeps collisions from inflating the similarity of unrelated texts.
    vector[hash % dimensions] = (vector[hash % dimensions] ?? 0) + (hash & 0x80000000 ? -1 : 1);
  }
  const norm = Math.hypot(...vector);
  if (norm === 0) {
    vector[0] = 1;
    return vector;
  }
  return vector.map((value) => value / norm);
}

/** Cosine similarity of two equal-length vectors. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}
