import { canonicalJson, sha256Hex } from '@semcache/core/internal';

const shortHash = (text: string) => sha256Hex(text).slice(0, 8);

import type { JsonObject } from './json.js';

/** Fields that change how a response is delivered or billed, never what it says. */
const deliveryFields = new Set(['stream', 'stream_options', 'user', 'metadata', 'store']);

/**
 * 8 hex characters of the SHA-256 of the canonical request body minus delivery-only fields
 * (`stream`, `stream_options`, `user`, `metadata`, `store`). Every output-shaping field — messages,
 * model, temperature, tools, response_format, seed, ... — changes it; a streamed and a
 * non-streamed copy of one request share it.
 */
export function requestFingerprint(body: JsonObject): string {
  const shaping = Object.fromEntries(
    Object.entries(body).filter(([key]) => !deliveryFields.has(key)),
  );
  return shortHash(canonicalJson(shaping));
}
