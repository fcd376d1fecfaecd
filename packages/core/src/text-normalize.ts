const wordSegmenter = new Intl.Segmenter('zh', { granularity: 'word' });

/** NFKC, lower case, whitespace collapsed: the form every text comparison starts from. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/**
 * Word-like segments of `text` (Latin words, numbers, Chinese words), via `Intl.Segmenter`,
 * which segments Chinese with a dictionary.
 */
export function segmentWords(text: string): string[] {
  const words: string[] = [];
  for (const segment of wordSegmenter.segment(text)) {
    if (segment.isWordLike) words.push(segment.segment);
  }
  return words;
}
