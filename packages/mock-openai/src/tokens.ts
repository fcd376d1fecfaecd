/**
 * A deterministic token estimate: one token per four characters, rounded up. Real tokenisers
 * differ; callers only need counts that are stable and grow with the text.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
