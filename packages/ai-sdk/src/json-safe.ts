import type { JsonObject, JsonValue } from '@semcache/core';

/**
 * A JSON copy of `value`: `undefined` and functions dropped, dates as ISO strings, bytes as
 * base64, non-finite numbers as `null`. Used for provider metadata and tool data, which the SDK
 * types as JSON but which may hold anything at run time.
 */
export function toJson(value: unknown, seen: Set<object> = new Set()): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'object':
      break;
    default:
      return null;
  }
  if (value === null) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return bytesToBase64(value);
  if (value instanceof URL) return value.href;
  if (seen.has(value)) return null;
  seen.add(value);
  let result: JsonValue;
  if (Array.isArray(value)) {
    result = value.map((item) =>
      item === undefined || typeof item === 'function' ? null : toJson(item, seen),
    );
  } else {
    const object: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      object[key] = toJson(item, seen);
    }
    result = object;
  }
  seen.delete(value);
  return result;
}

/** Base64 of bytes. */
export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Bytes of a base64 string. */
export function base64ToBytes(base64: string): Uint8Array {
  return new Uint8Array(Buffer.from(base64, 'base64'));
}
