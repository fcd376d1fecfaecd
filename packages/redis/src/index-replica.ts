import { VectorIndex, type VectorIndexOptions, type VectorMatch } from '@semcache/core/internal';

/** Options of {@link IndexReplica}. */
export interface IndexReplicaOptions {
  /** Options of each partition's `VectorIndex`. */
  index?: Omit<VectorIndexOptions, 'dimensions'>;
  /** Past this many entries the oldest-added entry of the namespace being added to is dropped. */
  maxEntries: number;
  /** Clock. */
  now: () => number;
}

/** Counters of an {@link IndexReplica}. */
export interface IndexReplicaStats {
  entries: number;
  partitions: number;
  namespaces: number;
}

interface ReplicaEntry {
  partition: string;
  expiresAt: number;
}

interface NamespaceReplica {
  generation: number;
  entries: Map<string, ReplicaEntry>;
  partitions: Map<string, VectorIndex>;
}

interface ExpiryItem {
  namespace: string;
  key: string;
  expiresAt: number;
}

/**
 * This process's copy of the shared semantic index: per namespace (at one generation) and per
 * partition, a core `VectorIndex` of entry keys. It holds no payloads. Entries leave it when
 * they expire, when they are removed, when their namespace moves to a newer generation, or when
 * it is full; a search never returns an expired entry.
 */
export class IndexReplica {
  readonly #options: IndexReplicaOptions;
  readonly #namespaces = new Map<string, NamespaceReplica>();
  /** Expiry wheel: second → entries that expire in it. */
  readonly #expiry = new Map<number, ExpiryItem[]>();
  #sweptUntil: number;
  #size = 0;

  constructor(options: IndexReplicaOptions) {
    this.#options = options;
    this.#sweptUntil = Math.floor(options.now() / 1000);
  }

  /** Number of entries held. */
  get size(): number {
    return this.#size;
  }

  /** Counts of entries, partitions and namespaces. */
  stats(): IndexReplicaStats {
    let partitions = 0;
    for (const state of this.#namespaces.values()) partitions += state.partitions.size;
    return { entries: this.#size, partitions, namespaces: this.#namespaces.size };
  }

  /** The generation held for `namespace`, if any. */
  generation(namespace: string): number | undefined {
    return this.#namespaces.get(namespace)?.generation;
  }

  /**
   * Moves `namespace` to `generation` when that is newer than the one held (dropping every entry
   * of the older one). Returns false when `generation` is older: the caller's data is stale.
   */
  useGeneration(namespace: string, generation: number): boolean {
    const state = this.#namespaces.get(namespace);
    if (state && state.generation === generation) return true;
    if (state && state.generation > generation) return false;
    if (state) this.#size -= state.entries.size;
    this.#namespaces.set(namespace, { generation, entries: new Map(), partitions: new Map() });
    return true;
  }

  /** Adds or replaces an entry; ignored when `generation` is older than the one held. */
  add(
    namespace: string,
    generation: number,
    key: string,
    partition: string,
    vector: Float32Array,
    expiresAt: number,
  ): void {
    if (expiresAt <= this.#options.now() || !this.useGeneration(namespace, generation)) return;
    const state = this.#namespaces.get(namespace) as NamespaceReplica;
    const existing = state.entries.get(key);
    if (existing && existing.expiresAt === expiresAt && existing.partition === partition) return;
    if (existing) this.#removeFrom(state, key, existing);
    let index = state.partitions.get(partition);
    if (!index) {
      index = new VectorIndex({ ...this.#options.index, dimensions: vector.length });
      state.partitions.set(partition, index);
    } else if (index.dimensions !== vector.length) {
      return;
    }
    index.add(key, vector);
    state.entries.set(key, { partition, expiresAt });
    this.#size++;
    const second = Math.floor(expiresAt / 1000);
    const bucket = this.#expiry.get(second);
    const item = { namespace, key, expiresAt };
    if (bucket) bucket.push(item);
    else this.#expiry.set(second, [item]);
    while (this.#size > this.#options.maxEntries) {
      const oldest = state.entries.keys().next();
      if (oldest.done) break;
      this.remove(namespace, oldest.value);
    }
  }

  /** Removes an entry (of the generation held, or of `generation` when given). */
  remove(namespace: string, key: string, generation?: number): void {
    const state = this.#namespaces.get(namespace);
    if (!state || (generation !== undefined && state.generation !== generation)) return;
    const entry = state.entries.get(key);
    if (entry) this.#removeFrom(state, key, entry);
  }

  /** Drops every namespace. */
  clear(): void {
    this.#namespaces.clear();
    this.#expiry.clear();
    this.#size = 0;
  }

  /**
   * Keys of the nearest live entries of one partition at `generation`, best first. Returns
   * nothing when the generation held is another one.
   */
  search(
    namespace: string,
    generation: number,
    partition: string,
    vector: Float32Array,
    options: { minSimilarity: number; limit: number },
  ): VectorMatch[] {
    const state = this.#namespaces.get(namespace);
    if (!state || state.generation !== generation) return [];
    const index = state.partitions.get(partition);
    if (!index || index.dimensions !== vector.length) return [];
    const now = this.#options.now();
    const live: VectorMatch[] = [];
    // A few extra in case some of the best have expired since the last sweep.
    for (const match of index.search(vector, { ...options, limit: options.limit + 4 })) {
      const entry = state.entries.get(match.id);
      if (!entry || entry.expiresAt <= now) {
        if (entry) this.#removeFrom(state, match.id, entry);
        continue;
      }
      live.push(match);
      if (live.length === options.limit) break;
    }
    return live;
  }

  /** Removes every entry that has expired; run it about once a second. */
  sweep(): void {
    const now = this.#options.now();
    const current = Math.floor(now / 1000);
    for (let second = this.#sweptUntil; second <= current; second++) {
      const bucket = this.#expiry.get(second);
      if (!bucket) continue;
      const keep: ExpiryItem[] = [];
      for (const item of bucket) {
        if (item.expiresAt > now) {
          keep.push(item);
          continue;
        }
        const state = this.#namespaces.get(item.namespace);
        const entry = state?.entries.get(item.key);
        if (state && entry && entry.expiresAt === item.expiresAt)
          this.#removeFrom(state, item.key, entry);
      }
      if (keep.length > 0) this.#expiry.set(second, keep);
      else this.#expiry.delete(second);
    }
    // The current second may still hold entries that expire later in it.
    this.#sweptUntil = current;
  }

  #removeFrom(state: NamespaceReplica, key: string, entry: ReplicaEntry): void {
    state.entries.delete(key);
    this.#size--;
    const index = state.partitions.get(entry.partition);
    if (!index) return;
    index.remove(key);
    if (index.size === 0) state.partitions.delete(entry.partition);
  }
}
