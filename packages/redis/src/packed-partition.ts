import { entryFormatVersion, entryMagic } from './entry-format.js';

/** Header flags this reader needs (see `entry-format.ts`). */
const flagIndexed = 2;
const flagLabels = 4 | 8;
const flagFloat32 = 16;
/** magic, version, flags, expiresAt, partition digest, dimensions. */
const vectorOffset = 1 + 1 + 1 + 8 + 16 + 2;

/** Bytes between the key and the entry header: the stored vector's norm. */
const normBytes = 4;

/** The norm of the vector stored in an entry header (int8 units or float32), as records carry it. */
export function storedNorm(header: Buffer): number {
  const flags = header[2] as number;
  const dimensions = header.readUInt16LE(vectorOffset - 2);
  let sum = 0;
  for (let d = 0; d < dimensions; d++) {
    const x =
      (flags & flagFloat32) !== 0
        ? header.readFloatLE(vectorOffset + 4 * d)
        : header.readInt8(vectorOffset + 4 + d);
    sum += x * x;
  }
  return Math.sqrt(sum);
}

/**
 * The vectors of one partition as they came from Redis (pages of records `u16 key length, key,
 * f32 norm, entry header`), searched as they are: no decoding or copying per record, so a new process can
 * answer its first semantic lookup of a large partition right after reading it. The replica
 * converts them into a `VectorIndex` in the background ({@link vectorOf}).
 */
export class PackedPartition {
  readonly #pages: Buffer[];
  readonly #bytes: Int8Array[];
  readonly #page: Int32Array;
  readonly #start: Int32Array;
  readonly #expires: Float64Array;
  /** Records held (live when parsed). */
  readonly count: number;

  private constructor(
    pages: Buffer[],
    page: Int32Array,
    start: Int32Array,
    expires: Float64Array,
    count: number,
  ) {
    this.#pages = pages;
    this.#bytes = pages.map(
      (buffer) => new Int8Array(buffer.buffer, buffer.byteOffset, buffer.length),
    );
    this.#page = page;
    this.#start = start;
    this.#expires = expires;
    this.count = count;
  }

  /** Parses pages, keeping records that are well formed and not expired at `now`. */
  static parse(pages: readonly Buffer[], now: number): PackedPartition {
    let capacity = 0;
    for (const page of pages) capacity += Math.ceil(page.length / 64);
    const pageOf = new Int32Array(capacity);
    const startOf = new Int32Array(capacity);
    const expires = new Float64Array(capacity);
    let count = 0;
    pages.forEach((buffer, p) => {
      let at = 0;
      while (at + 2 <= buffer.length) {
        const keyLength = buffer.readUInt16LE(at);
        const header = at + 2 + keyLength + normBytes;
        if (header + vectorOffset > buffer.length) break;
        const flags = buffer[header + 2] as number;
        if (
          buffer[header] !== entryMagic ||
          buffer[header + 1] !== entryFormatVersion ||
          (flags & flagIndexed) === 0 ||
          (flags & flagLabels) !== 0
        ) {
          break;
        }
        const dimensions = buffer.readUInt16LE(header + vectorOffset - 2);
        const end =
          header + vectorOffset + ((flags & flagFloat32) !== 0 ? 4 * dimensions : 4 + dimensions);
        if (dimensions === 0 || end > buffer.length) break;
        const expiresAt = buffer.readDoubleLE(header + 3);
        if (expiresAt > now) {
          pageOf[count] = p;
          startOf[count] = at;
          expires[count] = expiresAt;
          count++;
        }
        at = end;
      }
    });
    return new PackedPartition([...pages], pageOf, startOf, expires, count);
  }

  /** Dimensions of the record's vector. */
  dimensionsOf(i: number): number {
    const header = this.#header(i);
    return (this.#pages[this.#page[i] as number] as Buffer).readUInt16LE(header + vectorOffset - 2);
  }

  /** When the record expires (ms since the epoch). */
  expiresAt(i: number): number {
    return this.#expires[i] as number;
  }

  /** The entry key of record `i`. */
  keyOf(i: number): string {
    const buffer = this.#pages[this.#page[i] as number] as Buffer;
    const at = this.#start[i] as number;
    return buffer.toString('utf8', at + 2, at + 2 + buffer.readUInt16LE(at));
  }

  /** The L2-normalised vector of record `i` (a new array). */
  vectorOf(i: number): Float32Array {
    const buffer = this.#pages[this.#page[i] as number] as Buffer;
    const header = this.#header(i);
    const dimensions = buffer.readUInt16LE(header + vectorOffset - 2);
    const float32 = ((buffer[header + 2] as number) & flagFloat32) !== 0;
    const at = header + vectorOffset;
    const vector = new Float32Array(dimensions);
    const bytes = this.#bytes[this.#page[i] as number] as Int8Array;
    let sum = 0;
    for (let d = 0; d < dimensions; d++) {
      const x = float32 ? buffer.readFloatLE(at + 4 * d) : (bytes[at + 4 + d] as number);
      vector[d] = x;
      sum += x * x;
    }
    const inverse = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let d = 0; d < dimensions; d++) vector[d] = (vector[d] as number) * inverse;
    return vector;
  }

  /**
   * The best `limit` records from `from` on (by index of record) with cosine ≥ `minSimilarity`
   * to the unit vector `query`, not expired at `now`, best first. Ids are record numbers.
   */
  scan(
    query: Float32Array,
    from: number,
    options: { minSimilarity: number; limit: number },
    now: number,
  ): { record: number; similarity: number }[] {
    const best: { record: number; similarity: number }[] = [];
    const dimensions = query.length;
    // Only the query's non-zero components count (lexical vectors are mostly zeros).
    const nonZero: number[] = [];
    for (let d = 0; d < dimensions; d++) if (query[d] !== 0) nonZero.push(d);
    const used = Int32Array.from(nonZero);
    const weights = Float32Array.from(nonZero, (d) => query[d] as number);
    const n = used.length;
    for (let i = from; i < this.count; i++) {
      if ((this.#expires[i] as number) <= now) continue;
      const p = this.#page[i] as number;
      const buffer = this.#pages[p] as Buffer;
      const header = this.#header(i);
      if (buffer.readUInt16LE(header + vectorOffset - 2) !== dimensions) continue;
      const norm = buffer.readFloatLE(header - normBytes);
      if (!(norm > 0)) continue;
      const at = header + vectorOffset;
      let dot = 0;
      if (((buffer[header + 2] as number) & flagFloat32) !== 0) {
        for (let k = 0; k < n; k++) {
          dot += (weights[k] as number) * buffer.readFloatLE(at + 4 * (used[k] as number));
        }
      } else {
        // int8 with a scale: the scale cancels in the cosine.
        const bytes = this.#bytes[p] as Int8Array;
        const base = at + 4;
        for (let k = 0; k < n; k++) {
          dot += (weights[k] as number) * (bytes[base + (used[k] as number)] as number);
        }
      }
      const similarity = Math.min(1, dot / norm);
      if (similarity < options.minSimilarity) continue;
      if (best.length === options.limit && similarity <= (best.at(-1)?.similarity ?? 0)) continue;
      let k = best.length;
      while (k > 0 && (best[k - 1]?.similarity ?? 0) < similarity) k--;
      best.splice(k, 0, { record: i, similarity });
      if (best.length > options.limit) best.pop();
    }
    return best;
  }

  #header(i: number): number {
    const buffer = this.#pages[this.#page[i] as number] as Buffer;
    const at = this.#start[i] as number;
    return at + 2 + buffer.readUInt16LE(at) + normBytes;
  }
}
