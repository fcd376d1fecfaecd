/** A plain JSON object as produced by `JSON.parse`. */
export type JsonObject = Record<string, unknown>;

/** True when `value` is a non-null, non-array object. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Outcome of {@link parseJson}: the parsed value, or `ok: false` for malformed text. */
export type ParsedJson = { ok: true; value: unknown } | { ok: false };

/** Parses `text` as JSON without throwing. */
export function parseJson(text: string): ParsedJson {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}
