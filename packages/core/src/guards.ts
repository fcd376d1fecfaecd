import { normalizeText, segmentWords } from './text-normalize.js';

/**
 * A check run before a semantic hit is served. It returns a short reason to veto the hit, or
 * `undefined` to allow it. `query` is the new request's text, `candidate` the stored entry's.
 */
export type SemanticGuard = (query: string, candidate: string) => string | undefined;

const englishNegations = new Set([
  'not',
  'no',
  'never',
  'none',
  'nobody',
  'nothing',
  'neither',
  'nor',
  'without',
  'cannot',
  'cant',
  'dont',
  'doesnt',
  'didnt',
  'isnt',
  'arent',
  'wasnt',
  'werent',
  'wont',
  'wouldnt',
  'shouldnt',
  'couldnt',
  'hasnt',
  'havent',
  'hadnt',
  'mustnt',
  'neednt',
  'aint',
  'nowhere',
  'noone',
]);
const chineseNegationChars = /[不没沒别別未无無非莫勿甭]/gu;
/** Words whose negation character does not negate (不过 = "but", 无论 = "no matter", ...). */
const chineseNonNegating =
  /不过|不過|不错|不錯|不同|不断|不斷|不久|不少|不仅|不僅|不如|不管|无论|無論|无线|無線|非常|未来|未來|无聊|無聊|别人|別人|别的|別的|莫名|并非|除非|是非/gu;

/** Pairs of words that flip the meaning of an otherwise identical request. */
const antonymPairs: ReadonlyArray<readonly [string, string]> = [
  ['on', 'off'],
  ['open', 'close'],
  ['opened', 'closed'],
  ['enable', 'disable'],
  ['enabled', 'disabled'],
  ['start', 'stop'],
  ['increase', 'decrease'],
  ['up', 'down'],
  ['buy', 'sell'],
  ['add', 'remove'],
  ['before', 'after'],
  ['max', 'min'],
  ['maximum', 'minimum'],
  ['import', 'export'],
  ['encrypt', 'decrypt'],
  ['encode', 'decode'],
  ['true', 'false'],
  ['yes', 'no'],
  ['win', 'lose'],
  ['first', 'last'],
  ['lock', 'unlock'],
  ['show', 'hide'],
  ['upload', 'download'],
  ['push', 'pull'],
  ['include', 'exclude'],
  ['allow', 'deny'],
  ['accept', 'reject'],
  ['input', 'output'],
  ['left', 'right'],
  ['high', 'low'],
  ['higher', 'lower'],
  ['more', 'less'],
  ['best', 'worst'],
  ['better', 'worse'],
  ['cheapest', 'most expensive'],
  ['inside', 'outside'],
  ['above', 'below'],
  ['hot', 'cold'],
  ['north', 'south'],
  ['east', 'west'],
  ['male', 'female'],
  ['men', 'women'],
  ['man', 'woman'],
  ['boy', 'girl'],
  ['positive', 'negative'],
  ['connect', 'disconnect'],
  ['install', 'uninstall'],
  ['subscribe', 'unsubscribe'],
  ['login', 'logout'],
  ['mute', 'unmute'],
  ['zip', 'unzip'],
  ['asc', 'desc'],
  ['ascending', 'descending'],
  ['send', 'receive'],
  ['sent', 'received'],
  ['打开', '关闭'],
  ['打開', '關閉'],
  ['开启', '关闭'],
  ['开', '关'],
  ['開', '關'],
  ['增加', '减少'],
  ['提高', '降低'],
  ['买', '卖'],
  ['買', '賣'],
  ['最大', '最小'],
  ['启用', '禁用'],
  ['上传', '下载'],
  ['登录', '退出'],
  ['加密', '解密'],
  ['进口', '出口'],
  ['以前', '以后'],
  ['之前', '之后'],
  ['男生', '女生'],
  ['男人', '女人'],
  ['上涨', '下跌'],
  ['升高', '降低'],
  ['最好', '最差'],
  ['便宜', '贵'],
];

const numberPattern = /\d+(?:[.,]\d+)*|[零〇一二两三四五六七八九十百千万亿兩萬億]+/gu;
const unitWords = new Set([
  '%',
  '$',
  '€',
  '£',
  '¥',
  '元',
  '块',
  '美元',
  '欧元',
  '英镑',
  '人民币',
  'usd',
  'eur',
  'gbp',
  'jpy',
  'cny',
  'rmb',
  'btc',
  'km',
  'm',
  'cm',
  'mm',
  'mi',
  'mile',
  'miles',
  'ft',
  'feet',
  'foot',
  'inch',
  'inches',
  'kg',
  'g',
  'mg',
  'lb',
  'lbs',
  'pound',
  'pounds',
  'oz',
  'l',
  'ml',
  'gallon',
  'gallons',
  'c',
  'f',
  'celsius',
  'fahrenheit',
  'kelvin',
  'kb',
  'mb',
  'gb',
  'tb',
  'ms',
  's',
  'sec',
  'seconds',
  'minute',
  'minutes',
  'min',
  'hour',
  'hours',
  'h',
  'day',
  'days',
  'week',
  'weeks',
  'month',
  'months',
  'year',
  'years',
  '公里',
  '米',
  '厘米',
  '毫米',
  '公斤',
  '千克',
  '克',
  '斤',
  '升',
  '毫升',
  '度',
  '秒',
  '分钟',
  '小时',
  '天',
  '周',
  '月',
  '年',
  '岁',
  'percent',
  'dollars',
  'dollar',
  'euros',
  'euro',
]);

/** Vetoes when the texts mention different numbers (digits or Chinese numerals) or units. */
export const numbersGuard: SemanticGuard = (query, candidate) => {
  const a = numbersAndUnits(query);
  const b = numbersAndUnits(candidate);
  return sameMultiset(a, b) ? undefined : 'numbers differ';
};

/** Vetoes when one text is negated and the other is not (English and Chinese). */
export const negationGuard: SemanticGuard = (query, candidate) =>
  negationCount(query) === negationCount(candidate) ? undefined : 'negation differs';

/** Vetoes "turn on" vs "turn off", "打开" vs "关闭" and other antonym swaps. */
export const antonymGuard: SemanticGuard = (query, candidate) => {
  const a = tokensOf(query);
  const b = tokensOf(candidate);
  for (const [left, right] of antonymPairs) {
    const aLeft = a.has(left);
    const aRight = a.has(right);
    const bLeft = b.has(left);
    const bRight = b.has(right);
    if (aLeft === bLeft && aRight === bRight) continue;
    if ((aLeft || bLeft) && (aRight || bRight)) return `"${left}" vs "${right}"`;
  }
  return undefined;
};

/**
 * Vetoes when a token that names something specific — code, a quoted string, a CamelCase or
 * snake_case identifier, an email, a URL, a path, a version, a capitalised name mid-sentence —
 * appears in one text but not in the other.
 */
export const identifierGuard: SemanticGuard = (query, candidate) => {
  const aWords = tokensOf(query);
  const bWords = tokensOf(candidate);
  for (const identifier of identifiersOf(query)) {
    if (!containsIdentifier(candidate, bWords, identifier)) return `"${identifier}" missing`;
  }
  for (const identifier of identifiersOf(candidate)) {
    if (!containsIdentifier(query, aWords, identifier)) return `"${identifier}" missing`;
  }
  return undefined;
};

/** Texts shorter than this many words may reorder freely ("capital of France, what is it?"). */
const orderSensitiveWords = 12;

/**
 * Vetoes long texts (12 words or more each) whose shared words appear in a different order:
 * in a long sentence a swap usually changes who did what to whom ("A beat B in 2005, then joined
 * C" vs "B beat A ..."), while short questions are often reordered without a change of meaning.
 */
export const wordOrderGuard: SemanticGuard = (query, candidate) => {
  const a = segmentWords(normalizeText(query));
  const b = segmentWords(normalizeText(candidate));
  if (a.length < orderSensitiveWords || b.length < orderSensitiveWords) return undefined;
  const inB = new Set(b);
  const inA = new Set(a);
  const sharedA = a.filter((word) => inB.has(word));
  const sharedB = b.filter((word) => inA.has(word));
  return longestCommonSubsequence(sharedA, sharedB) < Math.min(sharedA.length, sharedB.length)
    ? 'word order differs'
    : undefined;
};

/** The guards on by default, in the order they run. */
export const defaultGuards: readonly SemanticGuard[] = [
  numbersGuard,
  negationGuard,
  antonymGuard,
  identifierGuard,
  wordOrderGuard,
];

/** Runs `guards` in order; the first veto reason, or `undefined` when all allow the hit. */
export function vetoReason(
  guards: readonly SemanticGuard[],
  query: string,
  candidate: string,
): string | undefined {
  for (const guard of guards) {
    const reason = guard(query, candidate);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

function numbersAndUnits(text: string): string[] {
  const normalized = normalizeText(text);
  const found = (normalized.match(numberPattern) ?? []).map((n) => n.replace(/,/gu, ''));
  // A unit only matters next to a quantity: "every day" vs "" is not a different number.
  if (found.length === 0) return found;
  for (const word of segmentWords(normalized)) if (unitWords.has(word)) found.push(`unit:${word}`);
  for (const symbol of normalized.match(/[%$€£¥]/gu) ?? []) found.push(`unit:${symbol}`);
  return found;
}

function negationCount(text: string): number {
  const normalized = normalizeText(text).replace(/[’']/gu, '');
  let count = 0;
  for (const word of segmentWords(normalized)) {
    if (englishNegations.has(word) || word.endsWith("n't")) count++;
  }
  const chinese = normalized.replace(chineseNonNegating, '');
  count += chinese.match(chineseNegationChars)?.length ?? 0;
  return count;
}

function tokensOf(text: string): Set<string> {
  const normalized = normalizeText(text);
  const tokens = new Set(segmentWords(normalized));
  // Chinese antonyms are often single characters inside a longer segmented word (开灯 / 关灯).
  for (const char of normalized.match(/\p{Script=Han}/gu) ?? []) tokens.add(char);
  return tokens;
}

const identifierPatterns: readonly RegExp[] = [
  /`[^`]+`/gu,
  /"[^"]+"|“[^”]+”|「[^」]+」/gu,
  /\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/gu,
  /\bhttps?:\/\/\S+/gu,
  /(?:^|\s)(?:\.{0,2}\/)?[\w.-]+(?:\/[\w.-]+)+/gu,
  /\b[a-z]+[A-Z]\w*\b|\b[A-Z][a-z0-9]+[A-Z]\w*\b/gu,
  /\b\w+_\w+\b/gu,
  /\b\w+\.\w+(?:\.\w+)*\(?\)?/gu,
  /\b(?=\w*[a-zA-Z])(?=\w*\d)\w{2,}\b/gu,
];

function identifiersOf(text: string): Set<string> {
  const identifiers = new Set<string>();
  for (const pattern of identifierPatterns) {
    for (const match of text.match(pattern) ?? []) identifiers.add(match.trim());
  }
  // Capitalised words that do not start a sentence are names ("Who is Obama").
  for (const match of text.matchAll(/(?<![.!?]\s*|^\s*)\b[A-Z][a-z]{1,}\b/gu)) {
    if (match[0] !== 'I') identifiers.add(match[0]);
  }
  return identifiers;
}

function containsIdentifier(text: string, words: Set<string>, identifier: string): boolean {
  if (text.includes(identifier)) return true;
  const lower = normalizeText(identifier).replace(/^["'`“「]|["'`”」]$/gu, '');
  if (words.has(lower)) return true;
  return normalizeText(text).includes(lower);
}

function longestCommonSubsequence(a: readonly string[], b: readonly string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = a[i - 1] === b[j - 1] ? diagonal + 1 : Math.max(above, row[j - 1] as number);
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

function sameMultiset(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const sortedA = [...a].sort();
  const sortedB = [...b].sort();
  return sortedA.every((value, i) => value === sortedB[i]);
}
