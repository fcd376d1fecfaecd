import { SemcacheError } from './errors.js';
import type { JsonValue } from './json.js';

/** Token usage of the call that produced an entry. */
export interface EntryUsage {
  inputTokens?: number;
  outputTokens?: number;
}

/** A decoded cache entry. `value` is the adapter's response, opaque to the core. */
export interface CacheEntry {
  /** Exact key of the request that produced the entry. */
  key: string;
  value: JsonValue;
  /** The semantic text that produced the entry's vector, used by the guards. */
  text?: string;
  modelId: string;
  usage?: EntryUsage;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Milliseconds since the epoch; an entry is never served after it. */
  expiresAt: number;
}

/** Version of the stored envelope; entries of any other version are misses. */
export const codecVersion = 1;

interface Envelope {
  v: number;
  k: string;
  m: string;
  c: number;
  e: number;
  t?: string;
  u?: EntryUsage;
  d: JsonValue;
}

/** Encodes an entry as a compact, versioned JSON envelope. */
export function encodeEntry(entry: CacheEntry): string {
  const kind = typeof entry.value;
  if (kind === 'undefined' || kind === 'function' || kind === 'symbol' || kind === 'bigint') {
    throw new SemcacheError(
      'INVALID_REQUEST',
      `A ${kind} is not a JSON value; only JSON data can be cached.`,
    );
  }
  const envelope: Envelope = {
    v: codecVersion,
    k: entry.key,
    m: entry.modelId,
    c: entry.createdAt,
    e: entry.expiresAt,
    ...(entry.text === undefined ? {} : { t: entry.text }),
    ...(entry.usage === undefined ? {} : { u: entry.usage }),
    d: entry.value,
  };
  return JSON.stringify(envelope);
}

/**
 * Decodes an envelope written by {@link encodeEntry}.
 *
 * @throws {SemcacheError} `CORRUPT_ENTRY` when the payload is not a well-formed envelope of this
 *   version. The cache turns that into a miss, deletes the entry and counts it.
 */
export function decodeEntry(payload: string): CacheEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch (cause) {
    throw new SemcacheError('CORRUPT_ENTRY', 'Stored entry is not valid JSON.', { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SemcacheError('CORRUPT_ENTRY', 'Stored entry is not an object.');
  }
  const envelope = parsed as Partial<Envelope>;
  if (envelope.v !== codecVersion) {
    throw new SemcacheError(
      'CORRUPT_ENTRY',
      `Stored entry has envelope version ${String(envelope.v)}; this build reads version ${codecVersion}.`,
    );
  }
  if (
    typeof envelope.k !== 'string' ||
    typeof envelope.m !== 'string' ||
    typeof envelope.c !== 'number' ||
    typeof envelope.e !== 'number' ||
    !('d' in envelope) ||
    (envelope.t !== undefined && typeof envelope.t !== 'string') ||
    (envelope.u !== undefined && (typeof envelope.u !== 'object' || envelope.u === null))
  ) {
    throw new SemcacheError('CORRUPT_ENTRY', 'Stored entry is missing required fields.');
  }
  return {
    key: envelope.k,
    value: envelope.d as JsonValue,
    modelId: envelope.m,
    createdAt: envelope.c,
    expiresAt: envelope.e,
    ...(envelope.t === undefined ? {} : { text: envelope.t }),
    ...(envelope.u === undefined ? {} : { usage: envelope.u }),
  };
}
