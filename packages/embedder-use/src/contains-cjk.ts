/**
 * Han (Chinese characters, also used in Japanese and Korean), Hiragana, Katakana, Hangul, Bopomofo,
 * and the CJK symbols, punctuation and full-width forms blocks.
 */
const cjkPattern =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Bopomofo}\u3000-\u303f\uff00-\uffef]/u;

/**
 * True when `text` contains at least one CJK character. Universal Sentence Encoder lite has an
 * English vocabulary, so such text is embedded lexically instead (see `useLiteEmbedder`).
 */
export function containsCjk(text: string): boolean {
  return cjkPattern.test(text);
}
