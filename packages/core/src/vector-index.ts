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
  /**
   * `true`: passing `flatLimit` does not build the LSH tables at once (hashing every vector,
   * ~0.2 ms each); searches stay exact scans until {@link VectorIndex.buildStep} has built them in
   * slices of the caller's choosing. For loading many vectors without blocking. Default `false`.
   */
  deferTables?: boolean;
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

/** Target size of one arena chunk: big enough that a scan is mostly contiguous, small enough to waste little. */
const chunkBytes = 2 ** 18;
/** Slots in the first chunk, which doubles until it is a full chunk: small indexes stay small. */
const firstChunkSlots = 4;
/** Growth of the per-slot LSH arrays: amortised O(1) appends with at most 25 % slack. */
const growthFactor = 1.25;
/** Up to this many band × code heads, the bucket heads are one dense array (3 MiB with the defaults). */
const maxDirectHeads = 2 ** 21;
/** End of a bucket chain. */
const none = -1;

/**
 * Nearest-neighbour index over L2-normalised vectors (cosine similarity = dot product).
 *
 * Small indexes are scanned exactly. Past `flatLimit` vectors it switches to banded sign-random-
 * projection LSH (SimHash) with an exact re-rank: a lookup costs the hashing of the query plus one
 * dot product per candidate, so it stays flat as the index grows. With the defaults a neighbour at
 * cosine 0.85 is a candidate with probability ~0.99, at 0.9 ~0.999.
 *
 * Vectors live in fixed-size arena chunks; removed slots are reused. Equal similarities rank the
 * lower slot first, so a search finds the same results in either mode for the same candidates.
 */
export class VectorIndex {
  readonly dimensions: number;
  readonly #flatLimit: number;
  readonly #bands: number;
  readonly #bitsPerBand: number;
  readonly #minIndexedSimilarity: number;
  readonly #planes: Float32Array;
  readonly #chunkShift: number;
  readonly #chunkMask: number;
  #chunks: Float32Array[] = [];
  #slotIds: (string | undefined)[] = [];
  #freeSlots: number[] = [];
  readonly #slotsById = new Map<string, number>();
  /** Whether the LSH tables below are built (and searches use them). */
  #indexed = false;
  readonly #deferTables: boolean;
  /** While tables are built by {@link buildStep}: slots below it are in the tables. */
  #builtUntil: number | undefined;
  /** Dense bucket heads, `band << bitsPerBand | code` → first slot or `none`. */
  #heads: Int32Array | undefined;
  /** Sparse bucket heads per band, when dense ones would be too big (many bits per band). */
  #sparseHeads: Map<number, number>[] | undefined;
  /** Bucket chains: `slot * bands + band` → next slot in that slot's bucket of that band. */
  #next: Int32Array = new Int32Array(0);
  /** Band codes of each slot, `slot * bands + band`, so a removal finds its buckets without rehashing. */
  #codes: Uint16Array | Uint32Array = new Uint16Array(0);
  #visited: Uint32Array = new Uint32Array(0);
  #visitEpoch = 0;
  readonly #nonZero: Int32Array;
  readonly #hashes: Uint32Array;

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
    this.#deferTables = options.deferTables ?? false;
    this.#planes = sharedPlanes(
      this.#bands * this.#bitsPerBand,
      dimensions,
      options.seed ?? defaults.seed,
    );
    this.#chunkShift = Math.max(0, 31 - Math.clz32(Math.floor(chunkBytes / (dimensions * 4))));
    this.#chunkMask = 2 ** this.#chunkShift - 1;
    this.#nonZero = new Int32Array(dimensions);
    this.#hashes = new Uint32Array(this.#bands);
    this.#resetArena();
  }

  /** Number of vectors held. */
  get size(): number {
    return this.#slotsById.size;
  }

  /** True while searches scan every vector (the LSH tables are not built yet). */
  get isFlat(): boolean {
    return !this.#indexed;
  }

  /** True when the index is past `flatLimit` but its tables are not built yet (`deferTables`). */
  get needsTables(): boolean {
    return !this.#indexed && this.#slotsById.size > this.#flatLimit;
  }

  /**
   * Builds the LSH tables for about `budgetMs` of CPU (for `deferTables` indexes); returns true
   * once they are built and searches use them. Adds and removals may interleave with the steps.
   */
  buildStep(budgetMs: number): boolean {
    if (this.#indexed) return true;
    if (this.#slotsById.size <= this.#flatLimit) return false;
    if (this.#builtUntil === undefined) {
      this.#allocateTables();
      this.#builtUntil = 0;
    }
    const started = performance.now();
    let slot = this.#builtUntil;
    while (slot < this.#slotIds.length) {
      if (this.#slotIds[slot] !== undefined) this.#insertIntoTables(slot);
      slot++;
      if ((slot & 63) === 0 && performance.now() - started >= budgetMs) break;
    }
    this.#builtUntil = slot;
    if (slot < this.#slotIds.length) return false;
    this.#builtUntil = undefined;
    this.#indexed = true;
    return true;
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
    this.#ensureArena(slot);
    this.#chunkOf(slot).set(vector, this.#offsetOf(slot));
    this.#slotIds[slot] = id;
    this.#slotsById.set(id, slot);
    if (this.#inTables(slot)) this.#insertIntoTables(slot);
    else if (!this.#deferTables && this.#slotsById.size > this.#flatLimit) this.#buildTables();
  }

  /** True when `slot` belongs in the LSH tables now (built, or below the building cursor). */
  #inTables(slot: number): boolean {
    return this.#indexed || (this.#builtUntil !== undefined && slot < this.#builtUntil);
  }

  /** Removes `id`; returns whether it was present. */
  remove(id: string): boolean {
    const slot = this.#slotsById.get(id);
    if (slot === undefined) return false;
    if (this.#inTables(slot)) this.#removeFromTables(slot);
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
    this.#indexed = false;
    this.#builtUntil = undefined;
    this.#heads = undefined;
    this.#sparseHeads = undefined;
    this.#next = new Int32Array(0);
    this.#codes = new Uint16Array(0);
    this.#visited = new Uint32Array(0);
    this.#visitEpoch = 0;
    this.#resetArena();
  }

  /**
   * The best `limit` vectors with similarity ≥ `minSimilarity`, best first. Similarities are
   * clamped to [0, 1].
   */
  search(vector: Float32Array, options: { minSimilarity: number; limit: number }): VectorMatch[] {
    this.#checkVector(vector);
    const { minSimilarity, limit } = options;
    if (limit <= 0 || this.#slotsById.size === 0) return [];
    const similarities: number[] = [];
    const slots: number[] = [];
    const consider = (slot: number): void => {
      const raw = this.#dot(vector, slot);
      if (raw < minSimilarity) return;
      const similarity = Math.min(1, Math.max(0, raw));
      let at = similarities.length;
      if (at === limit && !ranksBefore(similarity, slot, similarities[at - 1], slots[at - 1])) {
        return;
      }
      while (at > 0 && ranksBefore(similarity, slot, similarities[at - 1], slots[at - 1])) at--;
      similarities.splice(at, 0, similarity);
      slots.splice(at, 0, slot);
      if (similarities.length > limit) {
        similarities.pop();
        slots.pop();
      }
    };
    if (!this.#indexed || minSimilarity < this.#minIndexedSimilarity) {
      for (let slot = 0; slot < this.#slotIds.length; slot++) {
        if (this.#slotIds[slot] !== undefined) consider(slot);
      }
    } else {
      const epoch = this.#nextVisitEpoch();
      const visited = this.#visited;
      const next = this.#next;
      const codes = this.#codes;
      const bands = this.#bands;
      const hashes = this.#hash(vector, 0);
      const maxDistance = this.#maxSignatureDistance(minSimilarity);
      for (let band = 0; band < bands; band++) {
        let slot = this.#head(band, hashes[band] as number);
        while (slot !== none) {
          if (visited[slot] !== epoch) {
            visited[slot] = epoch;
            if (signatureDistance(codes, slot * bands, hashes, bands, maxDistance) <= maxDistance) {
              consider(slot);
            }
          }
          slot = next[slot * bands + band] as number;
        }
      }
    }
    return slots.map((slot, i) => ({
      id: this.#slotIds[slot] as string,
      similarity: similarities[i] as number,
    }));
  }

  /**
   * The band codes of a slot are `bands × bitsPerBand` random-hyperplane sign bits, and two
   * vectors at angle θ disagree on each with probability θ/π (SimHash). A candidate whose
   * disagreements exceed what a vector at `minSimilarity` would show by 6 standard deviations
   * cannot plausibly reach it (odds ~1e-9), so it is skipped without reading its vector: at a
   * million entries most bucket neighbours are far and their dot products dominated the search.
   */
  #maxSignatureDistance(minSimilarity: number): number {
    const bits = this.#bands * this.#bitsPerBand;
    const disagree = Math.acos(Math.min(1, Math.max(-1, minSimilarity))) / Math.PI;
    return Math.ceil(bits * disagree + 6 * Math.sqrt(bits * disagree * (1 - disagree)) + 1);
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

  #chunkOf(slot: number): Float32Array {
    return this.#chunks[slot >>> this.#chunkShift] as Float32Array;
  }

  #offsetOf(slot: number): number {
    return (slot & this.#chunkMask) * this.dimensions;
  }

  #dot(vector: Float32Array, slot: number): number {
    const chunk = this.#chunkOf(slot);
    const offset = this.#offsetOf(slot);
    let sum = 0;
    for (let i = 0; i < this.dimensions; i++)
      sum += (vector[i] as number) * (chunk[offset + i] as number);
    return sum;
  }

  #resetArena(): void {
    this.#chunks = [
      new Float32Array(Math.min(firstChunkSlots, this.#chunkMask + 1) * this.dimensions),
    ];
  }

  /**
   * Makes room for `slot`. Slots are handed out lowest first, so the first chunk is full before
   * a second one is needed; later chunks are allocated whole and never copied.
   */
  #ensureArena(slot: number): void {
    const chunkSlots = this.#chunkMask + 1;
    const first = this.#chunks[0] as Float32Array;
    const firstSlots = first.length / this.dimensions;
    const wanted = slot >>> this.#chunkShift === 0 ? slot + 1 : chunkSlots;
    if (firstSlots < wanted) {
      const grown = new Float32Array(
        Math.min(chunkSlots, Math.max(wanted, firstSlots * 2)) * this.dimensions,
      );
      grown.set(first);
      this.#chunks[0] = grown;
    }
    while (this.#chunks.length <= slot >>> this.#chunkShift) {
      this.#chunks.push(new Float32Array(chunkSlots * this.dimensions));
    }
  }

  #nextVisitEpoch(): number {
    if (this.#visited.length < this.#slotIds.length) {
      this.#visited = new Uint32Array(grownLength(this.#visited.length, this.#slotIds.length));
      this.#visitEpoch = 0;
    }
    this.#visitEpoch = (this.#visitEpoch + 1) >>> 0;
    if (this.#visitEpoch === 0) {
      this.#visited.fill(0);
      this.#visitEpoch = 1;
    }
    return this.#visitEpoch;
  }

  /**
   * Band hashes of the vector at `offset` in `source`; zero components are skipped. Returns a
   * scratch array that the next call overwrites.
   */
  #hash(source: Float32Array, offset: number): Uint32Array {
    const dims = this.dimensions;
    const nonZero = this.#nonZero;
    let count = 0;
    for (let i = 0; i < dims; i++) if (source[offset + i] !== 0) nonZero[count++] = i;
    const hashes = this.#hashes;
    const planes = this.#planes;
    let plane = 0;
    for (let band = 0; band < this.#bands; band++) {
      let code = 0;
      for (let bit = 0; bit < this.#bitsPerBand; bit++, plane++) {
        let projection = 0;
        const planeOffset = plane * dims;
        for (let k = 0; k < count; k++) {
          const i = nonZero[k] as number;
          projection += (planes[planeOffset + i] as number) * (source[offset + i] as number);
        }
        code = (code << 1) | (projection >= 0 ? 1 : 0);
      }
      hashes[band] = code >>> 0;
    }
    return hashes;
  }

  #head(band: number, code: number): number {
    if (this.#heads) return this.#heads[(band << this.#bitsPerBand) | code] as number;
    const heads = (this.#sparseHeads as Map<number, number>[])[band] as Map<number, number>;
    return heads.get(code) ?? none;
  }

  #setHead(band: number, code: number, slot: number): void {
    if (this.#heads) {
      this.#heads[(band << this.#bitsPerBand) | code] = slot;
      return;
    }
    const heads = (this.#sparseHeads as Map<number, number>[])[band] as Map<number, number>;
    if (slot === none) heads.delete(code);
    else heads.set(code, slot);
  }

  #buildTables(): void {
    this.#allocateTables();
    this.#indexed = true;
    for (let slot = 0; slot < this.#slotIds.length; slot++) {
      if (this.#slotIds[slot] !== undefined) this.#insertIntoTables(slot);
    }
  }

  #allocateTables(): void {
    const bands = this.#bands;
    const slots = this.#slotIds.length;
    const headCount = bands * 2 ** this.#bitsPerBand;
    if (headCount <= maxDirectHeads) {
      this.#heads = new Int32Array(headCount).fill(none);
      this.#sparseHeads = undefined;
    } else {
      this.#heads = undefined;
      this.#sparseHeads = Array.from({ length: bands }, () => new Map<number, number>());
    }
    this.#next = new Int32Array(slots * bands);
    this.#codes =
      this.#bitsPerBand <= 16 ? new Uint16Array(slots * bands) : new Uint32Array(slots * bands);
  }

  #insertIntoTables(slot: number): void {
    const bands = this.#bands;
    if (this.#next.length < (slot + 1) * bands) {
      const length = grownLength(this.#next.length / bands, slot + 1) * bands;
      const next = new Int32Array(length);
      next.set(this.#next);
      this.#next = next;
      const codes =
        this.#codes instanceof Uint16Array ? new Uint16Array(length) : new Uint32Array(length);
      codes.set(this.#codes);
      this.#codes = codes;
    }
    const hashes = this.#hash(this.#chunkOf(slot), this.#offsetOf(slot));
    const base = slot * bands;
    for (let band = 0; band < bands; band++) {
      const code = hashes[band] as number;
      this.#codes[base + band] = code;
      this.#next[base + band] = this.#head(band, code);
      this.#setHead(band, code, slot);
    }
  }

  #removeFromTables(slot: number): void {
    const bands = this.#bands;
    const next = this.#next;
    const base = slot * bands;
    for (let band = 0; band < bands; band++) {
      const code = this.#codes[base + band] as number;
      const after = next[base + band] as number;
      let current = this.#head(band, code);
      if (current === slot) {
        this.#setHead(band, code, after);
        continue;
      }
      while (current !== none) {
        const link = current * bands + band;
        const following = next[link] as number;
        if (following === slot) {
          next[link] = after;
          break;
        }
        current = following;
      }
    }
  }
}

/** Whether a match at (`similarity`, `slot`) ranks before one at (`otherSimilarity`, `otherSlot`). */
function ranksBefore(
  similarity: number,
  slot: number,
  otherSimilarity: number | undefined,
  otherSlot: number | undefined,
): boolean {
  const other = otherSimilarity as number;
  return similarity > other || (similarity === other && slot < (otherSlot as number));
}

/** Length for a per-slot array that must hold `needed` slots, grown geometrically from `current`. */
function grownLength(current: number, needed: number): number {
  return Math.max(needed, Math.ceil(current * growthFactor), 16);
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

/**
 * Differing bits between the band codes of a slot (from `base` in `codes`) and `hashes`; stops
 * counting once past `limit`.
 */
function signatureDistance(
  codes: Uint16Array | Uint32Array,
  base: number,
  hashes: Uint32Array,
  bands: number,
  limit: number,
): number {
  let distance = 0;
  for (let band = 0; band < bands && distance <= limit; band++) {
    let x = ((codes[base + band] as number) ^ (hashes[band] as number)) >>> 0;
    x -= (x >>> 1) & 0x55555555;
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    distance += (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number;
  }
  return distance;
}
