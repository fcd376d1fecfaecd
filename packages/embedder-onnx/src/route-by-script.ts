import type { ModelKey } from './model-specs.js';

const han = /\p{Script=Han}/u;
const kana = /[\p{Script=Hiragana}\p{Script=Katakana}]/u;

/**
 * Which model embeds `text`: `'zh'` (bge-small-zh-v1.5) when it has a Han character and no kana,
 * i.e. Chinese, also mixed with Latin words ("怎么重置 password？"); `'en'` (all-MiniLM-L6-v2) for
 * everything else. Japanese (kana) and Korean (Hangul) go to MiniLM because bge-small-zh's
 * vocabulary has no token for most of their words (a Korean sentence becomes only `[UNK]`s there),
 * while MiniLM's splits them into characters it knows. Neither model was trained on them.
 */
export function routeByScript(text: string): ModelKey {
  return han.test(text) && !kana.test(text) ? 'zh' : 'en';
}
