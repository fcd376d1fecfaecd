import { describeValue, SemcacheError } from './errors.js';

/**
 * Serialises `value` to canonical JSON: object keys sorted, `undefined` dropped, `-0` written as
 * `0`, strings NFC-normalised, binary data as base64 and dates as ISO strings. Two values that
 * mean the same serialise to the same string, whatever their property order.
 *
 * @throws {SemcacheError} `INVALID_REQUEST` for NaN or infinite numbers, bigints, functions,
 *   symbols and circular structures — a request holding them cannot be keyed safely.
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set(), [], 0);
}

/** Deeper data is refused rather than risking a stack overflow. */
const maxDepth = 256;

// The path to the current value is kept as a stack and only formatted for an error message, so
// a successful call builds no path strings.
function write(
  value: unknown,
  ancestors: Set<object>,
  path: (string | number)[],
  depth: number,
): string {
  switch (typeof value) {
    case 'string':
      return isPlainAscii(value) ? `"${value}"` : JSON.stringify(value.normalize('NFC'));
    case 'number':
      if (!Number.isFinite(value)) {
        throw new SemcacheError(
          'INVALID_REQUEST',
          `Cannot key a request with a non-finite number (${describeValue(value)}) at ${formatPath(path)}; pass a finite number or leave the field out.`,
        );
      }
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'null';
    case 'object':
      break;
    default:
      throw new SemcacheError(
        'INVALID_REQUEST',
        `Cannot key a request holding a ${typeof value} at ${formatPath(path)}; only JSON-like data can be cached.`,
      );
  }
  if (value === null) return 'null';
  if (value instanceof Date) {
    return JSON.stringify(Number.isNaN(value.getTime()) ? null : value.toISOString());
  }
  if (value instanceof Uint8Array) {
    return JSON.stringify(
      Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
    );
  }
  if (value instanceof URL) return JSON.stringify(value.href);
  if (depth >= maxDepth) {
    throw new SemcacheError(
      'INVALID_REQUEST',
      `Cannot key a request nested deeper than ${maxDepth} levels (at ${formatPath(path).slice(0, 80)}…); pass flatter data.`,
    );
  }
  if (ancestors.has(value)) {
    throw new SemcacheError(
      'INVALID_REQUEST',
      `Cannot key a request with a circular reference at ${formatPath(path)}; pass plain JSON data.`,
    );
  }
  ancestors.add(value);
  let json: string;
  if (Array.isArray(value)) {
    json = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) json += ',';
      path.push(i);
      json += write(value[i], ancestors, path, depth + 1);
      path.pop();
    }
    json += ']';
  } else {
    const record = value as Record<string, unknown>;
    json = '{';
    let first = true;
    const keys = Object.keys(record);
    if (keys.every(isPlainAscii)) {
      // Plain ASCII keys are already NFC and need no escaping; the default sort compares code units.
      keys.sort();
      for (const key of keys) {
        const field = record[key];
        if (field === undefined) continue;
        if (!first) json += ',';
        first = false;
        path.push(key);
        json += `"${key}":${write(field, ancestors, path, depth + 1)}`;
        path.pop();
      }
    } else {
      for (const [normalized, key] of sortedKeys(record, keys)) {
        if (!first) json += ',';
        first = false;
        path.push(key);
        json += `${JSON.stringify(normalized)}:${write(record[key], ancestors, path, depth + 1)}`;
        path.pop();
      }
    }
    json += '}';
  }
  ancestors.delete(value);
  return json;
}

/**
 * The defined keys of `record` as `[NFC-normalised, original]` pairs, sorted by the normalised
 * key code unit by code unit.
 */
function sortedKeys(record: Record<string, unknown>, keys: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (const key of keys) {
    if (record[key] !== undefined) pairs.push([key.normalize('NFC'), key]);
  }
  return pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** True for printable ASCII without a quote or a backslash: NFC already, and JSON-encodes as itself. */
function isPlainAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || code === 0x22 || code === 0x5c) return false;
  }
  return true;
}

function formatPath(path: readonly (string | number)[]): string {
  let formatted = '$';
  for (const step of path) formatted += typeof step === 'number' ? `[${step}]` : `.${step}`;
  return formatted;
}
