import type { CommandGate } from './command-gate.js';
import type { RedisClient } from './redis-client.js';

/** A vector found by {@link VectorSetIndex.search}: the exact key and its cosine similarity. */
export interface VectorSetCandidate {
  id: string;
  similarity: number;
}

/** Options of {@link VectorSetIndex}. */
export interface VectorSetIndexOptions {
  client: RedisClient;
  gate: CommandGate;
  now: () => number;
  /** Receives failures of background clean-up (it is retried by later searches). */
  onError: (what: string, error: unknown) => void;
  /**
   * Elements a sweep checks per vector set (`VRANGE` from where the last one stopped, then one
   * `EXISTS` per entry). Default `32`.
   */
  sweepBatch?: number;
  /** A vector set is swept at most this often, after a search of it. Default `5000` ms. */
  sweepIntervalMs?: number;
  /**
   * How long past its `exp` attribute a vector is removed by a search that finds it, so a process
   * whose clock runs ahead never removes the vector of a live entry (it only skips it until its
   * entry is really gone, which a sweep checks on the server). Default `10_000` ms.
   */
  clockSkewMs?: number;
  /** Vector sets whose sweep position is remembered. Default `10_000`. */
  maxTrackedSets?: number;
}

/** Extra candidates asked for, so expired vectors found by a search do not crowd out live ones. */
const headroom = 4;

/**
 * A partition's vectors in a Redis 8 vector set (one per namespace, generation and partition;
 * the element is the entry's exact key, its attributes `{"exp": <expiry ms>}`):
 *
 * - {@link add}: `VADD key FP32 <blob> <element> Q8 CAS SETATTR {"exp":…}` (int8 quantisation,
 *   neighbour search off the main thread), then a `PEXPIRE` so the set lives at least as long as
 *   its newest entry and an abandoned set goes away by itself.
 * - {@link search}: `VSIM key FP32 <blob> COUNT n WITHSCORES WITHATTRIBS EPSILON e`. Vector-set
 *   scores are `(1 + cos) / 2`; they are turned back into cosine similarity here. Expired vectors
 *   are left out, and removed (`VREM`) once expired for longer than a clock skew; when they filled
 *   the reply, the search is repeated with `FILTER '.exp > now'`.
 * - {@link remove}: `VREM` (a deleted entry, or a candidate whose entry is gone).
 * - {@link sweep}: a bounded clean-up of one set: `VRANGE` over the next few elements from where
 *   the last sweep stopped, `EXISTS` of their entries, `VREM` of those that are gone (expired,
 *   evicted or deleted by a process that did not know the partition). Never a scan of everything.
 *
 * The entry stays the source of truth: a caller fetches and checks every candidate's entry.
 */
export class VectorSetIndex {
  readonly #client: RedisClient;
  readonly #gate: CommandGate;
  readonly #now: () => number;
  readonly #onError: (what: string, error: unknown) => void;
  readonly #sweepBatch: number;
  readonly #sweepIntervalMs: number;
  readonly #maxTrackedSets: number;
  readonly #clockSkewMs: number;
  /** Per vector set: when it was last swept and the element the sweep stopped after. */
  readonly #sweeps = new Map<string, { at: number; after: string | undefined }>();

  constructor(options: VectorSetIndexOptions) {
    this.#client = options.client;
    this.#gate = options.gate;
    this.#now = options.now;
    this.#onError = options.onError;
    this.#sweepBatch = options.sweepBatch ?? 32;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 5000;
    this.#clockSkewMs = options.clockSkewMs ?? 10_000;
    this.#maxTrackedSets = options.maxTrackedSets ?? 10_000;
  }

  /** Adds (or replaces) the vector of `element` in the set `key`, expiring at `expiresAt`. */
  async add(key: string, element: string, vector: Float32Array, expiresAt: number): Promise<void> {
    const ttlMs = Math.max(1, Math.ceil(expiresAt - this.#now()));
    const client = this.#client;
    await this.#gate.run('vector add', () =>
      Promise.all([
        client.call(
          'VADD',
          key,
          'FP32',
          vectorBlob(vector),
          element,
          'Q8',
          'CAS',
          'SETATTR',
          JSON.stringify({ exp: expiresAt }),
        ),
        // NX sets a TTL on a new set; GT only ever lengthens it to the newest entry's.
        client.pexpire(key, ttlMs, 'NX'),
        client.pexpire(key, ttlMs, 'GT'),
      ]),
    );
  }

  /** Removes `elements` from the set `key` (missing ones are ignored). */
  async remove(key: string, elements: readonly string[]): Promise<void> {
    if (elements.length === 0) return;
    const client = this.#client;
    await this.#gate.run('vector remove', () =>
      Promise.all(elements.map((element) => client.call('VREM', key, element))),
    );
  }

  /**
   * The live vectors of the set `key` nearest to `vector` with cosine similarity at least
   * `minSimilarity`, best first, at most `limit`. Expired vectors found are removed in the
   * background.
   */
  async search(
    key: string,
    vector: Float32Array,
    options: { minSimilarity: number; limit: number },
  ): Promise<VectorSetCandidate[]> {
    const { minSimilarity, limit } = options;
    if (limit <= 0) return [];
    const blob = vectorBlob(vector);
    // score = (1 + cos) / 2 ≥ 1 - epsilon ⇔ cos ≥ 1 - 2 epsilon; a hair wider, checked below.
    const epsilon = Math.min(1, Math.max(0, (1 - minSimilarity) / 2 + 1e-6));
    const count = limit + headroom;
    const now = this.#now();
    const client = this.#client;
    const similar = async (...filter: string[]) =>
      parseSimilar(
        await this.#gate.run('vector search', () =>
          client.call(
            'VSIM',
            key,
            'FP32',
            blob,
            'COUNT',
            count,
            'WITHSCORES',
            'WITHATTRIBS',
            'EPSILON',
            epsilon,
            ...filter,
          ),
        ),
      );
    let found = await similar();
    const stale = found
      .filter((item) => item.expiresAt <= now - this.#clockSkewMs)
      .map((item) => item.id);
    if (stale.length > 0) {
      this.remove(key, stale).catch((error: unknown) =>
        this.#onError('removing expired vectors', error),
      );
    }
    if (found.some((item) => item.expiresAt <= now)) {
      if (found.length >= count) {
        found = await similar('FILTER', `.exp > ${now}`);
      }
    }
    const candidates: VectorSetCandidate[] = [];
    for (const item of found) {
      if (item.expiresAt <= now) continue;
      const similarity = Math.min(1, Math.max(-1, 2 * item.score - 1));
      if (similarity < minSimilarity) continue;
      candidates.push({ id: item.id, similarity });
      if (candidates.length >= limit) break;
    }
    return candidates;
  }

  /**
   * Checks the next few elements of the set `key` (at most once per interval per set), and
   * removes those whose entry is gone. `entryKey` maps an element to its entry's Redis key.
   * Resolves with the number removed (`0` when it was not due).
   */
  async sweep(key: string, entryKey: (element: string) => string): Promise<number> {
    const now = this.#now();
    const state = this.#sweeps.get(key);
    if (state && now - state.at < this.#sweepIntervalMs) return 0;
    if (!state && this.#sweeps.size >= this.#maxTrackedSets) this.#sweeps.clear();
    const position = { at: now, after: state?.after };
    this.#sweeps.set(key, position);
    const client = this.#client;
    const start = position.after === undefined ? '-' : `(${position.after}`;
    const elements = await this.#gate.run('vector sweep', () =>
      client.call('VRANGE', key, start, '+', this.#sweepBatch),
    );
    const list = Array.isArray(elements) ? elements.map((element) => String(element)) : [];
    // Past the end: start again from the beginning next time.
    position.after = list.length < this.#sweepBatch ? undefined : list.at(-1);
    if (list.length === 0) return 0;
    const exists = await this.#gate.run('vector sweep', () =>
      Promise.all(list.map((element) => client.exists(entryKey(element)))),
    );
    const gone = list.filter((_, i) => exists[i] === 0);
    await this.remove(key, gone);
    return gone.length;
  }
}

/** The little-endian float32 bytes of `vector`, as `VADD`/`VSIM … FP32` take them. */
export function vectorBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

interface SimilarItem {
  id: string;
  score: number;
  expiresAt: number;
}

/**
 * Reads a `VSIM … WITHSCORES WITHATTRIBS` reply: RESP2 `[element, score, attributes, …]`, RESP3
 * (ioredis 6 default) `[element, [score, attributes], …]`, or a map of either.
 */
export function parseSimilar(reply: unknown): SimilarItem[] {
  const items: SimilarItem[] = [];
  const push = (id: unknown, score: unknown, attributes: unknown) => {
    const value = Number(String(score));
    if (!Number.isFinite(value)) return;
    items.push({ id: String(id), score: value, expiresAt: expiryOf(attributes) });
  };
  if (reply instanceof Map) {
    for (const [id, rest] of reply) push(id, ...pairOf(rest));
    return items;
  }
  if (!Array.isArray(reply)) {
    if (reply && typeof reply === 'object') {
      for (const [id, rest] of Object.entries(reply)) push(id, ...pairOf(rest));
    }
    return items;
  }
  if (reply.length >= 2 && Array.isArray(reply[1])) {
    for (let at = 0; at + 1 < reply.length; at += 2) push(reply[at], ...pairOf(reply[at + 1]));
    return items;
  }
  for (let at = 0; at + 2 < reply.length; at += 3) push(reply[at], reply[at + 1], reply[at + 2]);
  return items;
}

function pairOf(rest: unknown): [unknown, unknown] {
  return Array.isArray(rest) ? [rest[0], rest[1]] : [rest, undefined];
}

/** The `exp` attribute; a vector without one never expires here (its entry's TTL still holds). */
function expiryOf(attributes: unknown): number {
  if (attributes == null) return Number.POSITIVE_INFINITY;
  try {
    const parsed: unknown = JSON.parse(String(attributes));
    const exp =
      parsed && typeof parsed === 'object' ? (parsed as { exp?: unknown }).exp : undefined;
    return typeof exp === 'number' ? exp : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
