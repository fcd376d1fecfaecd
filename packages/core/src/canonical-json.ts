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
  const parts: string[] = [];
  write(value, parts, new Set(), '$', 0);
  return parts.join('');
}

/** Deeper data is refused rather than risking a stack overflow. */
const maxDepth = 256;

function write(
  value: unknown,
  out: string[],
  ancestors: Set<object>,
  path: string,
  depth: number,
): void {
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value.normalize('NFC')));
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new SemcacheError(
          'INVALID_REQUEST',
          `Cannot key a request with a non-finite number (${describeValue(value)}) at ${path}; pass a finite number or leave the field out.`,
        );
      }
      out.push(Object.is(value, -0) ? '0' : JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'undefined':
      out.push('null');
      return;
    case 'object':
      break;
    default:
      throw new SemcacheError(
        'INVALID_REQUEST',
        `Cannot key a request holding a ${typeof value} at ${path}; only JSON-like data can be cached.`,
      );
  }
  if (value === null) {
    out.push('null');
    return;
  }
  if (value instanceof Date) {
    out.push(JSON.stringify(Number.isNaN(value.getTime()) ? null : value.toISOString()));
    return;
  }
  if (value instanceof Uint8Array) {
    out.push(
      JSON.stringify(
        Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
      ),
    );
    return;
  }
  if (value instanceof URL) {
    out.push(JSON.stringify(value.href));
    return;
  }
  if (depth >= maxDepth) {
    throw new SemcacheError(
      'INVALID_REQUEST',
      `Cannot key a request nested deeper than ${maxDepth} levels (at ${path.slice(0, 80)}…); pass flatter data.`,
    );
  }
  if (ancestors.has(value)) {
    throw new SemcacheError(
      'INVALID_REQUEST',
      `Cannot key a request with a circular reference at ${path}; pass plain JSON data.`,
    );
  }
  ancestors.add(value);
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      write(value[i], out, ancestors, `${path}[${i}]`, depth + 1);
    }
    out.push(']');
  } else {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .map((key) => [key.normalize('NFC'), key] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    out.push('{');
    keys.forEach(([normalized, key], i) => {
      if (i > 0) out.push(',');
      out.push(JSON.stringify(normalized), ':');
      write(record[key], out, ancestors, `${path}.${key}`, depth + 1);
    });
    out.push('}');
  }
  ancestors.delete(value);
}
