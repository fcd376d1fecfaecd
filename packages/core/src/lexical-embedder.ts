import type { Embedder } from './embedder.js';
import { SemcacheError } from './errors.js';
import { hash32 } from './hash.js';
import { normalizeText, segmentWords, stemEnglish } from './text-normalize.js';

/** Options of {@link lexicalEmbedder}. */
export interface LexicalEmbedderOptions {
  /** Vector length. Default `512`. */
  dimensions?: number;
}

const version = 3;

/**
 * Words that carry little meaning: down-weighted as words, never dropped (so "to be or not to be"
 * works), and left out of the character 3-grams, where "is the" vs "is a" would otherwise weigh
 * as much as a changed content word.
 */
const stopWords = new Set(
  'a an the is are was were be been being am do does did has have had get got of to in on at for with by from into about and or if so than then as it its this that these those there any some such also just very really ever one i me my you your we our us he she they them their what which who whom how why when where can could would should will shall may might must 的 了 是 吗 呢 吧 啊 呀 嘛 哪 我 你 他 她 它 们 在 和 与 就 都 也 还 有 这 那 个 么 怎么 什么 如何 为什么'.split(
    ' ',
  ),
);

const groupWeights = { word: 1, bigram: 0.3, trigram: 1 };
const stopWordWeight = 0.5;

/**
 * The default embedder: built in, no dependency, deterministic, any language. Features are word
 * unigrams and bigrams (segmented with `Intl.Segmenter`, which also segments Chinese; English
 * words lightly stemmed) and character 3-grams of the content words, signed-feature-hashed into
 * `dimensions` buckets and L2-normalised. Function words ("the", "how", "什么") are down-weighted.
 *
 * It finds near-duplicates — rewording, typos, changed word order, case and punctuation — not
 * deep paraphrase. Its `id` holds its version and dimensions, so changing either never compares
 * incompatible vectors.
 */
export function lexicalEmbedder(options: LexicalEmbedderOptions = {}): Embedder {
  const dimensions = options.dimensions ?? 512;
  if (!Number.isInteger(dimensions) || dimensions < 16 || dimensions > 65_536) {
    throw new SemcacheError(
      'INVALID_OPTIONS',
      `lexicalEmbedder: dimensions must be an integer in [16, 65536], got ${String(dimensions)}.`,
    );
  }
  return {
    id: `lexical-v${version}-${dimensions}`,
    dimensions,
    defaultThreshold: 0.91,
    embed: async (texts) => texts.map((text) => lexicalVector(text, dimensions)),
  };
}

/** The lexical embedding of one text (synchronous; what {@link lexicalEmbedder} returns). */
export function lexicalVector(text: string, dimensions: number): Float32Array {
  if (typeof text !== 'string') {
    throw new SemcacheError(
      'INVALID_REQUEST',
      `lexicalEmbedder: expected a string, got ${typeof text}.`,
    );
  }
  const words = segmentWords(expandContractions(normalizeText(text))).map((word) =>
    stopWords.has(word) ? word : stemEnglish(word),
  );
  const vector = new Float32Array(dimensions);
  const group = new Float32Array(dimensions);

  for (const word of words)
    addFeature(group, `w:${word}`, stopWords.has(word) ? stopWordWeight : 1);
  mergeGroup(vector, group, groupWeights.word);

  for (let i = 1; i < words.length; i++) addFeature(group, `b:${words[i - 1]} ${words[i]}`, 1);
  mergeGroup(vector, group, groupWeights.bigram);

  const content = words.filter((word) => !stopWords.has(word));
  const letters = (content.length > 0 ? content : words).join(' ');
  for (let i = 0; i + 3 <= letters.length; i++)
    addFeature(group, `c:${letters.slice(i, i + 3)}`, 1);
  if (letters.length > 0 && letters.length < 3) addFeature(group, `c:${letters}`, 1);
  mergeGroup(vector, group, groupWeights.trigram);

  return normalize(vector);
}

const contractions: ReadonlyArray<readonly [RegExp, string]> = [
  [/[’']s\b/gu, ' is'],
  [/n[’']t\b/gu, ' not'],
  [/[’']re\b/gu, ' are'],
  [/[’']m\b/gu, ' am'],
  [/[’']ll\b/gu, ' will'],
  [/[’']ve\b/gu, ' have'],
  [/[’']d\b/gu, ' would'],
];

/** "what's" → "what is", "don't" → "do not": the two spellings then share their features. */
function expandContractions(text: string): string {
  let expanded = text;
  for (const [pattern, replacement] of contractions)
    expanded = expanded.replace(pattern, replacement);
  return expanded;
}

function addFeature(group: Float32Array, feature: string, weight: number): void {
  const hash = hash32(feature);
  const at = hash % group.length;
  group[at] = (group[at] as number) + (hash & 0x80000000 ? -weight : weight);
}

function mergeGroup(vector: Float32Array, group: Float32Array, weight: number): void {
  let norm = 0;
  for (let i = 0; i < group.length; i++) norm += (group[i] as number) ** 2;
  if (norm > 0) {
    const scale = weight / Math.sqrt(norm);
    for (let i = 0; i < group.length; i++)
      vector[i] = (vector[i] as number) + (group[i] as number) * scale;
  }
  group.fill(0);
}

function normalize(vector: Float32Array): Float32Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += (vector[i] as number) ** 2;
  if (norm === 0) return vector;
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) * scale;
  return vector;
}
