import type { JsonValue } from '@semcache/core';
import { SemcacheError } from '@semcache/core';

/**
 * Parses LangChain's `llmKey`: the model's identifying parameters and call options written as
 * `key:JSON.stringify(value)` pairs, sorted and joined by `,`.
 *
 * Values are JSON, so they may hold commas, colons and quotes; the parser scans each value as a
 * JSON token (strings with escapes, nested objects and arrays) instead of splitting on `,`.
 * LangChain writes `undefined` for values JSON cannot represent (functions); those pairs are
 * dropped. A key is everything up to the first `:`, so a key that itself holds `:` is misread —
 * LangChain option names never do.
 *
 * @throws {SemcacheError} `INVALID_REQUEST` when `llmKey` is not in that format. The message never
 *   quotes the key, which may hold an API key.
 */
export function parseLlmKey(llmKey: string): Record<string, JsonValue> {
  const result: Record<string, JsonValue> = {};
  let i = 0;
  while (i < llmKey.length) {
    const colon = llmKey.indexOf(':', i);
    if (colon < 0) fail(i, 'a pair without ":"');
    const key = llmKey.slice(i, colon);
    const end = scanValue(llmKey, colon + 1);
    const raw = llmKey.slice(colon + 1, end);
    if (raw !== 'undefined') {
      try {
        // defineProperty, not assignment: a key named __proto__ must stay a plain field.
        Object.defineProperty(result, key, {
          value: JSON.parse(raw) as JsonValue,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } catch {
        fail(colon + 1, `a value that is not JSON (option ${describeKey(key)})`);
      }
    }
    if (end === llmKey.length) break;
    if (llmKey[end] !== ',') fail(end, 'a value followed by something other than ","');
    i = end + 1;
    if (i === llmKey.length) fail(i, 'a trailing ","');
  }
  return result;
}

/** Returns the index just after the JSON value starting at `start`. */
function scanValue(text: string, start: number): number {
  const first = text[start];
  if (first === '"') return scanString(text, start);
  if (first === '{' || first === '[') return scanNested(text, start);
  let i = start;
  while (i < text.length && text[i] !== ',') i++;
  if (i === start) fail(start, 'an empty value');
  return i;
}

function scanString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const char = text[i];
    if (char === '\\') i += 2;
    else if (char === '"') return i + 1;
    else i++;
  }
  return fail(start, 'an unterminated string');
}

function scanNested(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const char = text[i];
    if (char === '"') {
      i = scanString(text, i);
      continue;
    }
    if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return fail(start, 'an unterminated object or array');
}

function describeKey(key: string): string {
  return /^[\w.-]{1,64}$/.test(key) ? `"${key}"` : 'with an unusual name';
}

function fail(position: number, problem: string): never {
  throw new SemcacheError(
    'INVALID_REQUEST',
    `LangChain llmKey could not be parsed: ${problem} at character ${position}. The call went on without the cache; please report the model class you use.`,
  );
}
