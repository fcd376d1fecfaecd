import type { CacheStore, StoreMatch, StoreRecord, StoreSearch } from './cache-store.js';
import { SemcacheError } from './errors.js';
import { VectorIndex, type VectorIndexOptions } from './vector-index.js';
import { addOutcome, type OutcomeBin } from './verification.js';

/**
 * Options of {@link MemoryStore}, with their defaults:
 *
 * | option | default | at the limit |
 * |---|---|---|
 * | `maxEntries` | `10_000` | the least recently used entry is evicted |
 * | `maxBytes` | `64 MiB` | least recently used entries are evicted until the new one fits; an entry larger than `maxBytes` on its own is not stored |
 * | `sweepIntervalMs` | `60_000` | expired entries are also removed lazily on read; `0` disables the sweep |
 * | `index` | see {@link VectorIndexOptions} | options of the per-partition vector index |
 */
export interface MemoryStoreOptions {
  maxEntries?: number;
  maxBytes?: number;
  sweepIntervalMs?: number;
  index?: Omit<VectorIndexOptions, 'dimensions'>;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

interface MemoryRecord {
  namespace: string;
  key: string;
  payload: string;
  expiresAt: number;
  bytes: number;
  partition: string | undefined;
}

/** Rough fixed cost of one record's bookkeeping (map slots, object headers), in bytes. */
const recordOverheadBytes = 160;

/**
 * The embedded default store: entries in process memory, bounded by count and by bytes (least
 * recently used first out), with TTL, and one vector index per semantic partition. Bytes count the
 * payload (UTF-16), the key and the vector.
 *
 * Not shared between processes; use `RedisStore` from `@semcache/redis` for that.
 */
export class MemoryStore implements CacheStore {
  readonly name = 'memory';
  readonly inProcess = true;
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly #records = new Map<string, MemoryRecord>();
  /** Verified-caching outcomes by `namespace \0 key`, oldest first; at most `maxEntries` + 1000. */
  readonly #outcomes = new Map<string, { bins: OutcomeBin[]; expiresAt: number }>();
  readonly #indexes = new Map<string, VectorIndex>();
  readonly #indexOptions: Omit<VectorIndexOptions, 'dimensions'>;
  readonly #now: () => number;
  readonly #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #bytes = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    for (const [name, value] of [
      ['maxEntries', this.maxEntries],
      ['maxBytes', this.maxBytes],
    ] as const) {
      if (!Number.isInteger(value) || value <= 0) {
        throw new SemcacheError(
          'INVALID_OPTIONS',
          `MemoryStore: ${name} must be a positive integer, got ${String(value)}.`,
        );
      }
    }
    this.#indexOptions = options.index ?? {};
    this.#now = options.now ?? Date.now;
    const sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    if (sweepIntervalMs > 0) {
      this.#sweepTimer = setInterval(() => this.sweep(), sweepIntervalMs);
      this.#sweepTimer.unref?.();
    }
  }

  /** Number of entries held (expired ones included until read or swept). */
  get size(): number {
    return this.#records.size;
  }

  /** Bytes held, as counted against `maxBytes`. */
  get bytes(): number {
    return this.#bytes;
  }

  async get(namespace: string, key: string): Promise<string | undefined> {
    return this.#read(recordId(namespace, key))?.payload;
  }

  async set(namespace: string, record: StoreRecord): Promise<void> {
    const id = recordId(namespace, record.key);
    this.#remove(id);
    const vector = record.index?.vector;
    const bytes =
      record.payload.length * 2 +
      id.length * 2 +
      (vector ? vector.byteLength : 0) +
      recordOverheadBytes;
    if (bytes > this.maxBytes || record.ttlMs <= 0) return;
    while (this.#records.size >= this.maxEntries || this.#bytes + bytes > this.maxBytes) {
      const oldest = this.#records.keys().next();
      if (oldest.done) break;
      this.#remove(oldest.value);
    }
    const partition = record.index ? recordId(namespace, record.index.partition) : undefined;
    this.#records.set(id, {
      namespace,
      key: record.key,
      payload: record.payload,
      expiresAt: this.#now() + record.ttlMs,
      bytes,
      partition,
    });
    this.#bytes += bytes;
    if (partition !== undefined && vector) {
      let index = this.#indexes.get(partition);
      if (!index) {
        index = new VectorIndex({ ...this.#indexOptions, dimensions: vector.length });
        this.#indexes.set(partition, index);
      }
      index.add(id, vector);
    }
  }

  async delete(namespace: string, key: string): Promise<void> {
    this.#remove(recordId(namespace, key));
  }

  async search(namespace: string, query: StoreSearch): Promise<StoreMatch[]> {
    const index = this.#indexes.get(recordId(namespace, query.partition));
    if (!index || index.dimensions !== query.vector.length) return [];
    const matches: StoreMatch[] = [];
    // Ask for a few more than needed: some may have expired since they were indexed.
    for (const match of index.search(query.vector, {
      minSimilarity: query.minSimilarity,
      limit: query.limit + 4,
    })) {
      const record = this.#read(match.id);
      if (!record) continue;
      matches.push({ key: record.key, payload: record.payload, similarity: match.similarity });
      if (matches.length === query.limit) break;
    }
    return matches;
  }

  async clear(namespace: string): Promise<void> {
    for (const [id, record] of this.#records) {
      if (record.namespace === namespace) this.#remove(id);
    }
    for (const id of this.#outcomes.keys()) {
      if (id.startsWith(`${namespace}\u0000`)) this.#outcomes.delete(id);
    }
  }

  async readOutcomes(
    namespace: string,
    keys: readonly string[],
  ): Promise<(OutcomeBin[] | undefined)[]> {
    const now = this.#now();
    return keys.map((key) => {
      const held = this.#outcomes.get(`${namespace}\u0000${key}`);
      return held && held.expiresAt > now ? held.bins.map((bin) => ({ ...bin })) : undefined;
    });
  }

  async recordOutcome(
    namespace: string,
    key: string,
    outcome: { similarity: number; correct: boolean },
    ttlMs: number,
  ): Promise<void> {
    const id = `${namespace}\u0000${key}`;
    const now = this.#now();
    const held = this.#outcomes.get(id);
    const bins = held && held.expiresAt > now ? held.bins : [];
    this.#outcomes.delete(id);
    this.#outcomes.set(id, {
      bins: addOutcome(bins, outcome.similarity, outcome.correct),
      expiresAt: Math.max(held?.expiresAt ?? 0, now + ttlMs),
    });
    if (this.#outcomes.size > this.maxEntries + 1000) {
      const oldest = this.#outcomes.keys().next().value;
      if (oldest !== undefined) this.#outcomes.delete(oldest);
    }
  }

  /** Removes every expired entry now (also runs every `sweepIntervalMs`). */
  sweep(): void {
    const now = this.#now();
    for (const [id, record] of this.#records) {
      if (record.expiresAt <= now) this.#remove(id);
    }
  }

  async close(): Promise<void> {
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
  }

  #read(id: string): MemoryRecord | undefined {
    const record = this.#records.get(id);
    if (!record) return undefined;
    if (record.expiresAt <= this.#now()) {
      this.#remove(id);
      return undefined;
    }
    // Re-inserting moves the record to the most recently used end of the Map's order.
    this.#records.delete(id);
    this.#records.set(id, record);
    return record;
  }

  #remove(id: string): void {
    const record = this.#records.get(id);
    if (!record) return;
    this.#records.delete(id);
    this.#bytes -= record.bytes;
    if (record.partition !== undefined) {
      const index = this.#indexes.get(record.partition);
      index?.remove(id);
      if (index?.size === 0) this.#indexes.delete(record.partition);
    }
  }
}

function recordId(namespace: string, key: string): string {
  return `${namespace}\u0000${key}`;
}
