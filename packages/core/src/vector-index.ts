import { SemcacheError } from './errors.js';

/** Options of {@link VectorIndex}; every field has a default. */
export interface VectorIndexOptions {
  /** Length of every vector. Required. */
  dimensions: number;
  /**
   * Up to this many vectors, search is an exact scan; above it the LSH tables are built and
   * search only re-ranks candidates that share a band with the query. Default `2048`.
   */
  flatLimit?: number;
  /** Number of LSH bands. More bands find more true neighbours and cost more. Default `48`. */
  bands?: number;
  /** Sign bits per band. More bits return fewer false candidates. Default `14`. */
  bitsPerBand?: number;
  /**
   * Queries with `minSimilarity` below this scan every vector instead of using the LSH tables,
   * whose recall is tuned for high thresholds. Default `0.75`.
   */
  minIndexedSimilarity?: number;
  /** Seed of the random hyperplanes, so every process builds identical tables. Default `1`. */
  seed?: number;
}

/** One search result: the id given to {@link VectorIndex.add} and its cosine similarity. */
export interface VectorMatch {
  id: string;
  similarity: number;
}

const defaults = {
  flatLimit: 2048,
  bands: 48,
  bitsPerBand: 14,
  minIndexedSimilarity: 0.75,
  seed: 1,
};

/**
 * Nearest-neighbour index over L2-normalised vectors (cosine similarity = dot product).
 *
 * Small indexes are scanned exactly. Past `flatLimit` vectors it switches to banded sign-random-
 * projection LSH (SimHash) with an exact re-rank: a lookup costs the hashing of the query plus one
 * dot product per candidate, so it stays flat as the index grows. With the defaults a neighbour at
 * cosine 0.85 is a candidate with probability ~0.99, at 0.9 ~0.999.
 *
 * Vectors live in one contiguous arena; removed slots are reused.
 */
export class VectorIndex {
  readonly dimensions: number;
  readonly #flatLimit: number;
  readonly #bands: number;
  readonly #bitsPerBand: number;
  readonly #minIndexedSimilarity: number;
  readonly #planes: Float32Array;
  #arena: Float32Array;
  #slotIds: (string | undefined)[] = [];
  #freeSlots: number[] = [];
  readonly #slotsById = new Map<string, number>();
  #tables: Map<number, number[]>[] | undefined;
  #slotHashes: Uint32Array = new Uint32Array(0);
  #visited: Uint32Array = new Uint32Array(0);
  #visitEpoch = 0;

  constructor(options: VectorIndexOptions) {
    const { dimensions } = options;
    if (!Number.isInteger(dimensions) || dimensions <= 0) {
      throw new SemcacheError(
        'INVALID_OPTIONS',
        `VectorIndex: dimensions must be a positive integer, got ${String(dimensions)}.`,
      );
    }
    this.dimensions = dimensions;
    this.#flatLimit = options.flatLimit ?? defaults.flatLimit;
    this.#bands = options.bands ?? defaults.bands;
    this.#bitsPerBand = options.bitsPerBand ?? defaults.bitsPerBand;
    if (this.#bitsPerBand < 1 || this.#bitsPerBand > 31) {
      throw new SemcacheError('INVALID_OPTIONS', 'VectorIndex: bitsPerBand must be in [1, 31].');
    }
    this.#minIndexedSimilarity = options.minIndexedSimilarity ?? defaults.minIndexedSimilarity;
    this.#planes = sharedPlanes(
      this.#bands * this.#bitsPerBand,
      dimensions,
      options.seed ?? defaults.seed,
    );
    this.#arena = new Float32Array(dimensions * 4);
  }

  /** Number of vectors held. */
  get size(): number {
    return this.#slotsById.size;
  }

  /** True while searches scan every vector (the LSH tables are not built yet). */
  get isFlat(): boolean {
    return this.#tables === undefined;
  }

  /** True when `id` is indexed. */
  has(id: string): boolean {
    return this.#slotsById.has(id);
  }

  /** Adds or replaces the vector of `id`. The vector is copied. */
  add(id: string, vector: Float32Array): void {
    this.#checkVector(vector);
    this.remove(id);
    const slot = this.#freeSlots.pop() ?? this.#slotIds.length;
    if (slot === this.#slotIds.length) this.#slotIds.push(undefined);
    this.#ensureCapacity(slot + 1);
    this.#arena.set(vector, slot * this.dimensions);
    this.#slotIds[slot] = id;
    this.#slotsById.set(id, slot);
    if (this.#tables) this.#insertIntoTables(slot);
    else if (this.#slotsById.size > this.#flatLimit) this.#buildTables();
  }

  /** Removes `id`; returns whether it was present. */
  remove(id: string): boolean {
    const slot = this.#slotsById.get(id);
    if (slot === undefined) return false;
    if (this.#tables) this.#removeFromTables(slot);
    this.#slotsById.delete(id);
    this.#slotIds[slot] = undefined;
    this.#freeSlots.push(slot);
    return true;
  }

  /** Removes every vector. */
  clear(): void {
    this.#slotIds = [];
    this.#freeSlots = [];
    this.#slotsById.clear();
    this.#tables = undefined;
    this.#slotHashes = new Uint32Array(0);
  }

  /**
   * The best `limit` vectors with similarity ≥ `minSimilarity`, best first. Similarities are
   * clamped to [0, 1].
   */
  search(vector: Float32Array, options: { minSimilarity: number; limit: number }): VectorMatch[] {
    this.#checkVector(vector);
    const { minSimilarity, limit } = options;
    if (limit <= 0 || this.#slotsById.size === 0) return [];
    const best: VectorMatch[] = [];
    const consider = (slot: number) => {
      const similarity = this.#dot(vector, slot);
      if (similarity < minSimilarity) return;
      const id = this.#slotIds[slot];
      if (id === undefined) return;
      insertSorted(best, { id, similarity: Math.min(1, Math.max(0, similarity)) }, limit);
    };
    if (!this.#tables || minSimilarity < this.#minIndexedSimilarity) {
      for (let slot = 0; slot < this.#slotIds.length; slot++) {
        if (this.#slotIds[slot] !== undefined) consider(slot);
      }
      return best;
    }
    const epoch = this.#nextVisitEpoch();
    const hashes = this.#hash(vector, 0);
    for (let band = 0; band < this.#bands; band++) {
      const bucket = this.#tables[band]?.get(hashes[band] as number);
      if (!bucket) continue;
      for (const slot of bucket) {
        if (this.#visited[slot] === epoch) continue;
        this.#visited[slot] = epoch;
        consider(slot);
      }
    }
    return best;
  }

  #checkVector(vector: Float32Array): void {
    if (!(vector instanceof Float32Array) || vector.length !== this.dimensions) {
      throw new SemcacheError(
        'INVALID_REQUEST',
        `VectorIndex: expected a Float32Array of length ${this.dimensions}, got ${
          vector instanceof Float32Array ? `length ${vector.length}` : typeof vector
        }. Use one embedder per index.`,
      );
    }
  }

  #dot(vector: Float32Array, slot: number): number {
    const arena = this.#arena;
    const offset = slot * this.dimensions;
    let sum = 0;
    for (let i = 0; i < this.dimensions; i++)
      sum += (vector[i] as number) * (arena[offset + i] as number);
    return sum;
  }

  #ensureCapacity(slots: number): void {
    if (this.#arena.length >= slots * this.dimensions) return;
    const grown = new Float32Array(
      Math.max(slots, (this.#arena.length / this.dimensions) * 2) * this.dimensions,
    );
    grown.set(this.#arena);
    this.#arena = grown;
  }

  #nextVisitEpoch(): number {
    if (this.#visited.length < this.#slotIds.length) {
      this.#visited = new Uint32Array(Math.max(this.#slotIds.length, this.#visited.length * 2));
      this.#visitEpoch = 0;
    }
    this.#visitEpoch = (this.#visitEpoch + 1) >>> 0;
    if (this.#visitEpoch === 0) {
      this.#visited.fill(0);
      this.#visitEpoch = 1;
    }
    return this.#visitEpoch;
  }

  /** Band hashes of the vector at `offset` in `source`; zero components are skipped. */
  #hash(source: Float32Array, offset: number): Uint32Array {
    const dims = this.dimensions;
    const nonZero: number[] = [];
    for (let i = 0; i < dims; i++) if (source[offset + i] !== 0) nonZero.push(i);
    const hashes = new Uint32Array(this.#bands);
    const planes = this.#planes;
    let plane = 0;
    for (let band = 0; band < this.#bands; band++) {
      let code = 0;
      for (let bit = 0; bit < this.#bitsPerBand; bit++, plane++) {
        let projection = 0;
        const planeOffset = plane * dims;
        for (const i of nonZero) {
          projection += (planes[planeOffset + i] as number) * (source[offset + i] as number);
        }
        code = (code << 1) | (projection >= 0 ? 1 : 0);
      }
      hashes[band] = code >>> 0;
    }
    return hashes;
  }

  #buildTables(): void {
    this.#tables = Array.from({ length: this.#bands }, () => new Map<number, number[]>());
    this.#slotHashes = new Uint32Array(0);
    for (const slot of this.#slotsById.values()) this.#insertIntoTables(slot);
  }

  #insertIntoTables(slot: number): void {
    const tables = this.#tables as Map<number, number[]>[];
    if (this.#slotHashes.length < (slot + 1) * this.#bands) {
      const grown = new Uint32Array(Math.max(slot + 1, this.#slotIds.length * 2) * this.#bands);
      grown.set(this.#slotHashes);
      this.#slotHashes = grown;
    }
    const hashes = this.#hash(this.#arena, slot * this.dimensions);
    this.#slotHashes.set(hashes, slot * this.#bands);
    for (let band = 0; band < this.#bands; band++) {
      const table = tables[band] as Map<number, number[]>;
      const code = hashes[band] as number;
      const bucket = table.get(code);
      if (bucket) bucket.push(slot);
      else table.set(code, [slot]);
    }
  }

  #removeFromTables(slot: number): void {
    const tables = this.#tables as Map<number, number[]>[];
    for (let band = 0; band < this.#bands; band++) {
      const table = tables[band] as Map<number, number[]>;
      const code = this.#slotHashes[slot * this.#bands + band] as number;
      const bucket = table.get(code);
      if (!bucket) continue;
      const at = bucket.indexOf(slot);
      if (at >= 0) {
        bucket[at] = bucket[bucket.length - 1] as number;
        bucket.pop();
      }
      if (bucket.length === 0) table.delete(code);
    }
  }
}

function insertSorted(best: VectorMatch[], match: VectorMatch, limit: number): void {
  if (best.length === limit && (best[limit - 1] as VectorMatch).similarity >= match.similarity)
    return;
  let at = best.length;
  while (at > 0 && (best[at - 1] as VectorMatch).similarity < match.similarity) at--;
  best.splice(at, 0, match);
  if (best.length > limit) best.pop();
}

const planeCache = new Map<string, Float32Array>();

/** Hyperplanes are shared by every index with the same shape: there may be one index per partition. */
function sharedPlanes(count: number, dimensions: number, seed: number): Float32Array {
  const id = `${count}:${dimensions}:${seed}`;
  let planes = planeCache.get(id);
  if (!planes) {
    planes = gaussianPlanes(count, dimensions, seed);
    planeCache.set(id, planes);
  }
  return planes;
}

/** Deterministic Gaussian hyperplanes (mulberry32 + Box–Muller). */
function gaussianPlanes(count: number, dimensions: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  const planes = new Float32Array(count * dimensions);
  for (let i = 0; i < planes.length; i++) {
    planes[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  }
  return planes;
}
