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

/**
 * A light English stemmer for matching, not for display: plural and third-person "-s"/"-es"/"-ies",
 * "-ing" and "-ed" ("passwords" → "password", "learning" → "learn", "stopped" → "stop"). Words of
 * three letters or less, and anything that is not plain lower-case a–z, are returned unchanged.
 */
export function stemEnglish(word: string): string {
  if (word.length <= 3 || !/^[a-z]+$/u.test(word)) return word;
  let stem = word;
  if (stem.endsWith('ies')) stem = `${stem.slice(0, -3)}y`;
  else if (/(?:ss|x|z|ch|sh)es$/u.test(stem)) stem = stem.slice(0, -2);
  else if (stem.endsWith('s') && !/(?:ss|us|is)$/u.test(stem)) stem = stem.slice(0, -1);
  return stripSuffix(stem, 'ing') ?? stripSuffix(stem, 'ed') ?? stem;
}

/** `word` without `suffix` when what remains still has a vowel and 3+ letters; "stopp" → "stop". */
function stripSuffix(word: string, suffix: string): string | undefined {
  if (!word.endsWith(suffix)) return undefined;
  const stem = word.slice(0, -suffix.length);
  if (stem.length < 3 || !/[aeiouy]/u.test(stem)) return undefined;
  return /([b-df-hj-kmnp-rtv-z])\1$/u.test(stem) ? stem.slice(0, -1) : stem;
}
