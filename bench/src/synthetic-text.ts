/** Deterministic pseudo-random generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const syllables = [
  'ka',
  'lo',
  'mi',
  'ra',
  'te',
  'su',
  'no',
  'vi',
  'den',
  'pas',
  'tor',
  'quen',
  'bel',
  'ish',
  'ward',
  'ing',
];

/** A vocabulary of `size` made-up words, and a Zipf-like sampler over it. */
export function makeVocabulary(size: number, random: () => number): () => string {
  const words = Array.from({ length: size }, () => {
    const n = 2 + Math.floor(random() * 3);
    return Array.from({ length: n }, () => syllables[Math.floor(random() * syllables.length)]).join(
      '',
    );
  });
  return () => words[Math.floor(size * random() ** 2.5)] as string;
}

/** Question-like sentences of 6–16 words drawn from a Zipf-like vocabulary. */
export function makeSentences(count: number, seed: number): string[] {
  const random = seededRandom(seed);
  const word = makeVocabulary(20_000, random);
  const starts = [
    'how do i',
    'what is the',
    'why does my',
    'can you explain',
    'where can i find',
    'is it possible to',
  ];
  return Array.from({ length: count }, (_, i) => {
    const n = 4 + Math.floor(random() * 10);
    return `${starts[i % starts.length]} ${Array.from({ length: n }, word).join(' ')} ${i.toString(36)}?`;
  });
}

/** A near-duplicate of `text`: changed case and punctuation, and one typo. */
export function perturb(text: string, random: () => number): string {
  const chars = text.toUpperCase().replace('?', '').split('');
  const at = Math.floor(random() * chars.length);
  if (chars[at] !== ' ') chars.splice(at, 1);
  return chars.join('');
}
