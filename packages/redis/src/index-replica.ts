import { VectorIndex, type VectorIndexOptions, type VectorMatch } from '@semcache/core/internal';
import type { PackedPartition } from './packed-partition.js';

/**
 * What a replica holds: `'on-demand'` — only the partitions this process has searched (loaded
 * from Redis on first use, kept current from the change stream, least recently searched dropped
 * first past `maxEntries`); `'full'` — every partition (loaded by a full sync; past `maxEntries`
 * the oldest-added entries go).
 */
export type ReplicaMode = 'on-demand' | 'full';

/** Options of {@link IndexReplica}. */
export interface IndexReplicaOptions {
  /** Options of each partition's `VectorIndex`. */
  index?: Omit<VectorIndexOptions, 'dimensions'>;
  /** Entries held at most. */
  maxEntries: number;
  mode: ReplicaMode;
  /** Clock. */
  now: () => number;
}

/** Counters of an {@link IndexReplica}. */
export interface IndexReplicaStats {
  entries: number;
  partitions: number;
  namespaces: number;
  /**
   * Partitions still searched by exact scan: records not yet in their index, or LSH tables not
   * built yet (both happen in the background after a load).
   */
  partitionsBuilding: number;
}

interface ReplicaEntry {
  partition: string;
  expiresAt: number;
}

/** A partition being loaded: changes that arrive meanwhile are applied after the load. */
type Pending =
  | { op: 'add'; key: string; vector: Float32Array; expiresAt: number }
  | { op: 'remove'; key: string };

/** Records read from Redis that are searched as they are until converted into the index. */
interface Packed {
  data: PackedPartition;
  /** Records below this number are in the index. */
  converted: number;
  /** Keys removed since the load: their packed records are stale. */
  removed: Set<string>;
}

interface PartitionState {
  index: VectorIndex | undefined;
  packed?: Packed | undefined;
  /** `undefined` once loaded (or in full mode); the changes seen during the load otherwise. */
  pending: Pending[] | undefined;
  loaded: boolean;
}

interface NamespaceReplica {
  generation: number;
  entries: Map<string, ReplicaEntry>;
  partitions: Map<string, PartitionState>;
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
 * it is full; a search never returns an expired entry. Partition indexes defer their LSH tables
 * ({@link buildTables} builds them in slices), so loading many vectors never blocks the loop.
 */
export class IndexReplica {
  readonly #options: IndexReplicaOptions;
  readonly #namespaces = new Map<string, NamespaceReplica>();
  /** Expiry wheel: second → entries that expire in it. */
  readonly #expiry = new Map<number, ExpiryItem[]>();
  /** On-demand mode: `namespace \0 partition` in order of last use (oldest first). */
  readonly #recent = new Map<string, { namespace: string; partition: string }>();
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
    let partitionsBuilding = 0;
    for (const state of this.#namespaces.values()) {
      for (const partition of state.partitions.values()) {
        if (partition.index || partition.packed) partitions++;
        if (partition.packed || partition.index?.needsTables) partitionsBuilding++;
      }
    }
    return {
      entries: this.#size,
      partitions,
      namespaces: this.#namespaces.size,
      partitionsBuilding,
    };
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
    if (state) {
      this.#size -= state.entries.size;
      for (const partition of state.partitions.keys())
        this.#recent.delete(recentKey(namespace, partition));
    }
    this.#namespaces.set(namespace, { generation, entries: new Map(), partitions: new Map() });
    return true;
  }

  /**
   * Whether a search of this partition can trust the replica: always in full mode once the full
   * sync finished (`synced`), otherwise once the partition was loaded.
   */
  isLoaded(namespace: string, generation: number, partition: string, synced: boolean): boolean {
    const state = this.#namespaces.get(namespace);
    if (state && state.generation > generation) return true;
    if (this.#options.mode === 'full' && synced) return true;
    return state?.generation === generation && state.partitions.get(partition)?.loaded === true;
  }

  /** Starts loading a partition: changes seen from now on are kept and applied after the load. */
  beginLoad(namespace: string, generation: number, partition: string): void {
    if (!this.useGeneration(namespace, generation)) return;
    const state = this.#namespaces.get(namespace) as NamespaceReplica;
    const existing = state.partitions.get(partition);
    if (existing?.loaded || existing?.pending) return;
    state.partitions.set(partition, { index: existing?.index, pending: [], loaded: false });
  }

  /**
   * Ends a partition load: its records are searched as they are (and converted into the index in
   * the background, see {@link buildTables}), the changes seen meanwhile are applied, and it is
   * marked loaded. With `packed` undefined (the load failed), forgets the load.
   */
  finishLoad(
    namespace: string,
    generation: number,
    partition: string,
    packed: PackedPartition | undefined,
  ): void {
    const state = this.#namespaces.get(namespace);
    const partitionState = state?.partitions.get(partition);
    if (!state || state.generation !== generation || !partitionState?.pending) return;
    const pending = partitionState.pending;
    if (!packed) {
      if (partitionState.index) partitionState.pending = undefined;
      else state.partitions.delete(partition);
      return;
    }
    partitionState.pending = undefined;
    partitionState.loaded = true;
    if (packed.count > 0) {
      partitionState.packed = { data: packed, converted: 0, removed: new Set() };
      this.#size += packed.count;
    }
    for (const change of pending) {
      if (change.op === 'add') {
        this.#put(namespace, state, change.key, partition, change.vector, change.expiresAt);
      } else {
        this.#drop(namespace, state, change.key);
        partitionState.packed?.removed.add(change.key);
      }
    }
    this.#touch(namespace, partition);
    this.#evict(namespace);
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
    const partitionState = state.partitions.get(partition);
    if (partitionState?.pending) {
      partitionState.pending.push({ op: 'add', key, vector, expiresAt });
      return;
    }
    // On demand, a partition nobody here searched is loaded from Redis if it ever is.
    if (this.#options.mode === 'on-demand' && !partitionState?.loaded) return;
    this.#put(namespace, state, key, partition, vector, expiresAt);
    this.#evict(namespace);
  }

  /** Removes an entry (of the generation held, or of `generation` when given). */
  remove(namespace: string, key: string, generation?: number): void {
    const state = this.#namespaces.get(namespace);
    if (!state || (generation !== undefined && state.generation !== generation)) return;
    for (const partitionState of state.partitions.values()) {
      partitionState.pending?.push({ op: 'remove', key });
      partitionState.packed?.removed.add(key);
    }
    this.#drop(namespace, state, key);
  }

  /** Drops every namespace. */
  clear(): void {
    this.#namespaces.clear();
    this.#expiry.clear();
    this.#recent.clear();
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
    const partitionState = state.partitions.get(partition);
    this.#touch(namespace, partition);
    if (!partitionState) return [];
    const { index, packed } = partitionState;
    const now = this.#options.now();
    const live: VectorMatch[] = [];
    // A few extra in case some of the best have expired since the last sweep.
    if (index && index.dimensions === vector.length) {
      for (const match of index.search(vector, { ...options, limit: options.limit + 4 })) {
        const entry = state.entries.get(match.id);
        if (!entry || entry.expiresAt <= now) {
          if (entry) this.#drop(namespace, state, match.id);
          continue;
        }
        live.push(match);
        if (live.length === options.limit) break;
      }
    }
    if (!packed) return live;
    // Records not converted yet: searched as read from Redis, unless removed or superseded.
    for (const { record, similarity } of packed.data.scan(
      vector,
      packed.converted,
      {
        minSimilarity: options.minSimilarity,
        limit: options.limit + 4,
      },
      now,
    )) {
      const id = packed.data.keyOf(record);
      if (packed.removed.has(id) || index?.has(id) || live.some((match) => match.id === id)) {
        continue;
      }
      live.push({ id, similarity });
    }
    live.sort((a, b) => b.similarity - a.similarity);
    return live.slice(0, options.limit);
  }

  /**
   * Builds LSH tables of large partitions for about `budgetMs`; returns true when none is left
   * to build. Until then those partitions are searched by exact scan (correct, slower).
   */
  buildTables(budgetMs: number): boolean {
    const started = performance.now();
    for (const [namespace, state] of this.#namespaces) {
      for (const [name, partition] of state.partitions) {
        if (
          partition.packed &&
          !this.#convert(namespace, state, name, partition, started, budgetMs)
        ) {
          return false;
        }
        const index = partition.index;
        if (!index?.needsTables) continue;
        const left = budgetMs - (performance.now() - started);
        if (left <= 0 || !index.buildStep(left)) return false;
      }
    }
    return true;
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
          this.#drop(item.namespace, state, item.key);
      }
      if (keep.length > 0) this.#expiry.set(second, keep);
      else this.#expiry.delete(second);
    }
    // The current second may still hold entries that expire later in it.
    this.#sweptUntil = current;
  }

  /** Moves packed records into the index until the budget is spent; true when all are in. */
  #convert(
    namespace: string,
    state: NamespaceReplica,
    partition: string,
    partitionState: PartitionState,
    started: number,
    budgetMs: number,
  ): boolean {
    const packed = partitionState.packed as Packed;
    const now = this.#options.now();
    while (packed.converted < packed.data.count) {
      const record = packed.converted++;
      this.#size--;
      const key = packed.data.keyOf(record);
      const expiresAt = packed.data.expiresAt(record);
      // A later write of the key (another record, or a change from the stream) expires later.
      const held = state.entries.get(key)?.expiresAt ?? 0;
      if (!packed.removed.has(key) && expiresAt > now && expiresAt > held) {
        this.#put(namespace, state, key, partition, packed.data.vectorOf(record), expiresAt);
      }
      if ((record & 255) === 0 && performance.now() - started >= budgetMs) return false;
    }
    partitionState.packed = undefined;
    return true;
  }

  #put(
    namespace: string,
    state: NamespaceReplica,
    key: string,
    partition: string,
    vector: Float32Array,
    expiresAt: number,
  ): void {
    if (expiresAt <= this.#options.now()) return;
    const existing = state.entries.get(key);
    if (existing && existing.expiresAt === expiresAt && existing.partition === partition) return;
    if (existing) this.#drop(namespace, state, key);
    let partitionState = state.partitions.get(partition);
    if (!partitionState) {
      partitionState = { index: undefined, pending: undefined, loaded: false };
      state.partitions.set(partition, partitionState);
    }
    if (!partitionState.index) {
      partitionState.index = new VectorIndex({
        ...this.#options.index,
        dimensions: vector.length,
        deferTables: true,
      });
      this.#touch(namespace, partition);
    } else if (partitionState.index.dimensions !== vector.length) {
      return;
    }
    partitionState.index.add(key, vector);
    state.entries.set(key, { partition, expiresAt });
    this.#size++;
    const second = Math.floor(expiresAt / 1000);
    const bucket = this.#expiry.get(second);
    const item = { namespace, key, expiresAt };
    if (bucket) bucket.push(item);
    else this.#expiry.set(second, [item]);
  }

  #drop(namespace: string, state: NamespaceReplica, key: string): void {
    const entry = state.entries.get(key);
    if (!entry) return;
    state.entries.delete(key);
    this.#size--;
    const partitionState = state.partitions.get(entry.partition);
    const index = partitionState?.index;
    if (!partitionState || !index) return;
    index.remove(key);
    if (index.size === 0 && this.#options.mode === 'full') {
      state.partitions.delete(entry.partition);
      this.#recent.delete(recentKey(namespace, entry.partition));
    }
  }

  #touch(namespace: string, partition: string): void {
    if (this.#options.mode !== 'on-demand') return;
    const id = recentKey(namespace, partition);
    this.#recent.delete(id);
    this.#recent.set(id, { namespace, partition });
  }

  /** Keeps the replica within `maxEntries`: whole least recently searched partitions (on-demand) or the oldest-added entries (full). */
  #evict(namespace: string): void {
    if (this.#size <= this.#options.maxEntries) return;
    if (this.#options.mode === 'full') {
      const state = this.#namespaces.get(namespace);
      while (state && this.#size > this.#options.maxEntries) {
        const oldest = state.entries.keys().next();
        if (oldest.done) break;
        this.#drop(namespace, state, oldest.value);
      }
      return;
    }
    for (const [id, { namespace: owner, partition }] of this.#recent) {
      if (this.#size <= this.#options.maxEntries || this.#recent.size <= 1) break;
      this.#recent.delete(id);
      const state = this.#namespaces.get(owner);
      const partitionState = state?.partitions.get(partition);
      if (!state || !partitionState || partitionState.pending) continue;
      if (partitionState.packed) {
        this.#size -= partitionState.packed.data.count - partitionState.packed.converted;
      }
      for (const [key, entry] of state.entries) {
        if (entry.partition === partition) {
          state.entries.delete(key);
          this.#size--;
        }
      }
      state.partitions.delete(partition);
    }
  }
}

function recentKey(namespace: string, partition: string): string {
  return `${namespace}\u0000${partition}`;
}
