import { describe, expect, test } from 'vitest';
import { splitIntoPieces } from './text-pieces.js';

describe('splitIntoPieces', () => {
  test('splits by words and round-trips', () => {
    const text = '  Mock answer to "hi there" (model m)  ';
    const pieces = splitIntoPieces(text);
    expect(pieces.join('')).toBe(text);
    expect(pieces).toEqual(['  ', 'Mock ', 'answer ', 'to ', '"hi ', 'there" ', '(model ', 'm)  ']);
  });

  test('slices space-free text into at least minPieces', () => {
    const text = '{"answer":"x","n":42}';
    const pieces = splitIntoPieces(text);
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    expect(pieces.join('')).toBe(text);
  });

  test('returns nothing for empty text and one piece for tiny text', () => {
    expect(splitIntoPieces('')).toEqual([]);
    expect(splitIntoPieces('ok')).toEqual(['ok']);
  });
});
