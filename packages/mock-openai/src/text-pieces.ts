/**
 * Splits `text` into stream deltas that concatenate back to exactly `text`: one per word (with its
 * trailing whitespace), or, when that gives fewer than `minPieces` (compact JSON has no spaces),
 * `minPieces` roughly equal slices.
 */
export function splitIntoPieces(text: string, minPieces = 3): string[] {
  if (text.length === 0) return [];
  const words = text.match(/^\s+|\S+\s*/g) ?? [text];
  if (words.length >= minPieces || text.length < minPieces) return words;
  const size = Math.ceil(text.length / minPieces);
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}
