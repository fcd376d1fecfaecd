/**
 * Names of every Redis key and channel the store uses. All live under one prefix:
 *
 * | name | kind | what |
 * |---|---|---|
 * | `<prefix><ns>:gen` | string | current generation of namespace `ns` (bumped to clear it) |
 * | `<prefix><ns>:<gen>:e:{<key>}` | string, PX | one entry (see `entry-format.ts`) |
 * | `<prefix><ns>:<gen>:p:{<digest>}` | list, PX | the vectors of one partition, newest last (on-demand loads) |
 * | `<prefix><ns>:<gen>:v:{<digest>}` | vector set, PX | the vectors of one partition on Redis 8 (element = exact key) |
 * | `<prefix><ns>:<gen>:o:{<key>}` | hash, PX | verified-caching outcomes of an entry (or a pool) |
 * | `<prefix><ns>:l:{<key>}` | string, PX | single-flight lease of `key` |
 * | `<prefix><ns>:stats` | hash | hit counters, only with `recordStats` |
 * | `<prefix>!changes` | stream | index changes read by every process |
 * | `<prefix>!flights` | pub/sub channel | single-flight releases |
 *
 * `ns` is percent-encoded so it never holds `:`, glob characters or braces; `gen` is base 36.
 * The exact key sits in a hash tag, so an entry and its lease share a Cluster slot and one
 * script may touch both.
 */
export interface KeyLayout {
  readonly prefix: string;
  generation(namespace: string): string;
  entry(namespace: string, generation: number, key: string): string;
  /** The list of a partition's vectors (`digest` = `partitionDigest`) at one generation. */
  partition(namespace: string, generation: number, digest: string): string;
  /**
   * The Redis 8 vector set of a partition's vectors at one generation: the same hash tag as
   * {@link partition}, so a Cluster spreads partitions over its masters.
   */
  vectorSet(namespace: string, generation: number, digest: string): string;
  /** The verified-caching outcomes of an entry (`tag` = `outcomesTag(key)`) at one generation. */
  outcomes(namespace: string, generation: number, tag: string): string;
  lease(namespace: string, key: string): string;
  stats(namespace: string): string;
  readonly changes: string;
  readonly flights: string;
  /** SCAN pattern of every entry of every namespace and generation. */
  readonly allEntries: string;
  /** SCAN pattern of every entry of one namespace, any generation. */
  namespaceEntries(namespace: string): string;
  /** SCAN pattern of the entries of `key` in every generation of one namespace or of all. */
  keyEntries(key: string, namespace?: string): string;
  /** SCAN pattern of every vector set of every namespace and generation. */
  readonly allVectorSets: string;
  /** SCAN pattern of every vector set of one namespace, any generation. */
  namespaceVectorSets(namespace: string): string;
  /** The namespace and generation of a vector-set key; `undefined` for any other key. */
  parseVectorSet(redisKey: string): { namespace: string; generation: number } | undefined;
  /** SCAN pattern of every generation key. */
  readonly allGenerations: string;
  /** SCAN pattern of every key of one namespace (entries of any generation, leases, stats). */
  namespaceKeys(namespace: string): string;
  /** Splits an entry key; `undefined` for any other key. */
  parseEntry(redisKey: string): ParsedEntryKey | undefined;
  /** The namespace of a generation key; `undefined` for any other key. */
  parseGeneration(redisKey: string): string | undefined;
}

/** The parts of an entry key. */
export interface ParsedEntryKey {
  namespace: string;
  generation: number;
  key: string;
}

/** Builds the {@link KeyLayout} of `prefix` (default `'semcache:'`). */
export function keyLayout(prefix = 'semcache:'): KeyLayout {
  const globPrefix = escapeGlob(prefix);
  return {
    prefix,
    generation: (namespace) => `${prefix}${encodeNamespace(namespace)}:gen`,
    entry: (namespace, generation, key) =>
      `${prefix}${encodeNamespace(namespace)}:${generation.toString(36)}:e:{${key}}`,
    partition: (namespace, generation, digest) =>
      `${prefix}${encodeNamespace(namespace)}:${generation.toString(36)}:p:{${digest}}`,
    vectorSet: (namespace, generation, digest) =>
      `${prefix}${encodeNamespace(namespace)}:${generation.toString(36)}:v:{${digest}}`,
    outcomes: (namespace, generation, tag) =>
      `${prefix}${encodeNamespace(namespace)}:${generation.toString(36)}:o:{${tag}}`,
    lease: (namespace, key) => `${prefix}${encodeNamespace(namespace)}:l:{${key}}`,
    stats: (namespace) => `${prefix}${encodeNamespace(namespace)}:stats`,
    changes: `${prefix}!changes`,
    flights: `${prefix}!flights`,
    allEntries: `${globPrefix}*:e:{*}`,
    namespaceEntries: (namespace) => `${globPrefix}${encodeNamespace(namespace)}:*:e:{*}`,
    keyEntries: (key, namespace) =>
      `${globPrefix}${namespace === undefined ? '*' : encodeNamespace(namespace)}:*:e:{${escapeGlob(key)}}`,
    allVectorSets: `${globPrefix}*:v:{*}`,
    namespaceVectorSets: (namespace) => `${globPrefix}${encodeNamespace(namespace)}:*:v:{*}`,
    parseVectorSet: (redisKey) => {
      if (!redisKey.startsWith(prefix)) return undefined;
      const match = vectorSetPattern.exec(redisKey.slice(prefix.length));
      if (!match) return undefined;
      const [, namespace, generation] = match as unknown as [string, string, string];
      const decoded = decodeNamespace(namespace);
      return decoded === undefined
        ? undefined
        : { namespace: decoded, generation: Number.parseInt(generation, 36) };
    },
    allGenerations: `${globPrefix}*:gen`,
    namespaceKeys: (namespace) => `${globPrefix}${encodeNamespace(namespace)}:*`,
    parseEntry: (redisKey) => {
      if (!redisKey.startsWith(prefix)) return undefined;
      const match = entryPattern.exec(redisKey.slice(prefix.length));
      if (!match) return undefined;
      const [, namespace, generation, key] = match as unknown as [string, string, string, string];
      const decoded = decodeNamespace(namespace);
      return decoded === undefined
        ? undefined
        : { namespace: decoded, generation: Number.parseInt(generation, 36), key };
    },
    parseGeneration: (redisKey) => {
      if (!redisKey.startsWith(prefix) || !redisKey.endsWith(':gen')) return undefined;
      const encoded = redisKey.slice(prefix.length, -':gen'.length);
      return encoded.includes(':') ? undefined : decodeNamespace(encoded);
    },
  };
}

const plainNamespace = /^[A-Za-z0-9._-]*$/;
const vectorSetPattern = /^([^:]*):([0-9a-z]+):v:\{[^{}]*\}$/s;
const entryPattern = /^([^:]*):([0-9a-z]+):e:\{(.*)\}$/s;

/**
 * Percent-encodes every character outside `[A-Za-z0-9._-]` as UTF-8 bytes (`%3A`), so `:`, `*`
 * and `{` never appear; a lone surrogate, which has no UTF-8 form, becomes `~uD800`. Distinct
 * namespaces always give distinct encodings.
 */
export function encodeNamespace(namespace: string): string {
  if (plainNamespace.test(namespace)) return namespace;
  let out = '';
  for (const char of namespace) {
    const code = char.charCodeAt(0);
    if (char.length === 1 && code >= 0xd800 && code <= 0xdfff) {
      out += `~u${code.toString(16).toUpperCase()}`;
    } else if (plainNamespace.test(char)) {
      out += char;
    } else {
      for (const byte of Buffer.from(char, 'utf8')) {
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      }
    }
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Inverse of {@link encodeNamespace}; `undefined` when `encoded` is not a valid encoding. */
export function decodeNamespace(encoded: string): string | undefined {
  let out = '';
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length > 0) out += utf8.decode(Uint8Array.from(bytes));
    bytes = [];
  };
  try {
    for (let at = 0; at < encoded.length; ) {
      const char = encoded[at] as string;
      if (char === '%' && /^[0-9A-F]{2}$/.test(encoded.slice(at + 1, at + 3))) {
        bytes.push(Number.parseInt(encoded.slice(at + 1, at + 3), 16));
        at += 3;
        continue;
      }
      flush();
      if (char === '~' && /^u[0-9A-F]{4}$/.test(encoded.slice(at + 1, at + 6))) {
        out += String.fromCharCode(Number.parseInt(encoded.slice(at + 2, at + 6), 16));
        at += 6;
      } else if (plainNamespace.test(char)) {
        out += char;
        at++;
      } else {
        return undefined;
      }
    }
    flush();
  } catch {
    return undefined;
  }
  return out;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}
