import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { deflateRaw, deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib';

/**
 * Binary layout of an entry's value (format 1), little-endian:
 *
 * | bytes | field |
 * |---|---|
 * | 1 | magic `0xF5` (never the first byte of UTF-8 text, so foreign values are told apart) |
 * | 1 | format version `1` |
 * | 1 | flags: 1 payload deflated, 2 indexed, 4 model label, 8 tenant label, 16 float32 vector |
 * | 8 | expiresAt, float64 milliseconds since the epoch |
 * | 2 + n | model label (UTF-8), when flagged |
 * | 2 + n | tenant label (UTF-8), when flagged |
 * | 16 | partition digest (SHA-256 of the partition, truncated), when indexed |
 * | 2 | vector dimensions, when indexed |
 * | 4 + d or 4d | int8 vector with its float32 scale, or float32 vector, when indexed |
 * | rest | payload, UTF-8 or raw deflate |
 *
 * Everything a replica needs (expiry, partition, vector) and the admin labels come before the
 * payload, so both are read with one `GETRANGE` of the first bytes.
 */
export const entryMagic = 0xf5;
/** Version of the binary layout. */
export const entryFormatVersion = 1;

const flagDeflated = 1;
const flagIndexed = 2;
const flagModel = 4;
const flagTenant = 8;
const flagFloat32 = 16;
const fixedBytes = 11;
/** Bytes of the truncated SHA-256 that names a partition. */
export const partitionDigestBytes = 16;

/** How vectors are stored: 1 byte per dimension with a scale, or 4 bytes per dimension. */
export type VectorEncoding = 'int8' | 'float32';

/** What an entry's header says. */
export interface EntryHeader {
  expiresAt: number;
  modelId: string | undefined;
  tenant: string | undefined;
  /** Present on entries that can be matched semantically. */
  index: { partition: string; vector: Float32Array } | undefined;
  deflated: boolean;
  /** Where the payload starts. */
  payloadOffset: number;
}

/** Result of {@link readHeader}. */
export type HeaderRead = { ok: true; header: EntryHeader } | { ok: false; reason: FormatProblem };

/**
 * Why a value could not be read: not this format at all, cut off, unreadable, or written by a
 * newer format version (left alone: a newer process may be rolling out).
 */
export type FormatProblem = 'foreign' | 'truncated' | 'corrupt' | 'unsupported';

/** What {@link encodeEntry} needs. */
export interface EntryFields {
  expiresAt: number;
  payload: string;
  modelId?: string | undefined;
  tenant?: string | undefined;
  /** `partition` is the hex {@link partitionDigest} of the partition. */
  index?: { partition: string; vector: Float32Array } | undefined;
}

/** Options of {@link encodeEntry}. */
export interface EntryEncodingOptions {
  /** Payloads of more UTF-8 bytes than this are deflated (kept only when smaller). */
  compressAboveBytes: number;
  vectorEncoding: VectorEncoding;
}

/** Payloads above this many bytes are deflated off the main thread. */
const asyncZlibAboveBytes = 64 * 1024;
const deflateRawAsync = promisify(deflateRaw);
const inflateRawAsync = promisify(inflateRaw);

/** Hex name of a partition as stored: a 128-bit SHA-256 prefix, so equal digests mean equal partitions. */
export function partitionDigest(partition: string): string {
  return createHash('sha256')
    .update(partition, 'utf8')
    .digest()
    .subarray(0, partitionDigestBytes)
    .toString('hex');
}

/** Encodes an entry's value. */
export async function encodeEntry(
  fields: EntryFields,
  options: EntryEncodingOptions,
): Promise<Buffer> {
  let payload = Buffer.from(fields.payload, 'utf8');
  let deflated = false;
  if (payload.length > options.compressAboveBytes) {
    const packed =
      payload.length > asyncZlibAboveBytes
        ? await deflateRawAsync(payload)
        : deflateRawSync(payload);
    if (packed.length < payload.length) {
      payload = packed;
      deflated = true;
    }
  }
  const header = encodeHeader(
    {
      expiresAt: fields.expiresAt,
      modelId: fields.modelId,
      tenant: fields.tenant,
      index: fields.index,
    },
    options.vectorEncoding,
    deflated,
  );
  return Buffer.concat([header, payload]);
}

/** Encodes a header without payload: what the change stream carries for an indexed entry. */
export function encodeHeader(
  fields: Omit<EntryFields, 'payload'>,
  vectorEncoding: VectorEncoding,
  deflated = false,
): Buffer {
  const model = fields.modelId === undefined ? undefined : Buffer.from(fields.modelId, 'utf8');
  const tenant = fields.tenant === undefined ? undefined : Buffer.from(fields.tenant, 'utf8');
  for (const [name, label] of [
    ['modelId', model],
    ['tenant', tenant],
  ] as const) {
    if (label && label.length > 0xffff)
      throw new RangeError(`${name} label longer than 65535 bytes`);
  }
  const vector = fields.index?.vector;
  const float32 = vectorEncoding === 'float32';
  const vectorBytes = vector ? 2 + (float32 ? 4 * vector.length : 4 + vector.length) : 0;
  const size =
    fixedBytes +
    (model ? 2 + model.length : 0) +
    (tenant ? 2 + tenant.length : 0) +
    (vector ? partitionDigestBytes + vectorBytes : 0);
  const out = Buffer.allocUnsafe(size);
  out[0] = entryMagic;
  out[1] = entryFormatVersion;
  out[2] =
    (deflated ? flagDeflated : 0) |
    (vector ? flagIndexed : 0) |
    (model ? flagModel : 0) |
    (tenant ? flagTenant : 0) |
    (vector && float32 ? flagFloat32 : 0);
  out.writeDoubleLE(fields.expiresAt, 3);
  let at = fixedBytes;
  for (const label of [model, tenant]) {
    if (!label) continue;
    out.writeUInt16LE(label.length, at);
    label.copy(out, at + 2);
    at += 2 + label.length;
  }
  if (vector && fields.index) {
    if (vector.length > 0xffff) throw new RangeError('vectors longer than 65535 dimensions');
    if (!/^[0-9a-f]{32}$/.test(fields.index.partition)) {
      throw new RangeError('index.partition must be a partitionDigest()');
    }
    Buffer.from(fields.index.partition, 'hex').copy(out, at);
    at += partitionDigestBytes;
    out.writeUInt16LE(vector.length, at);
    at += 2;
    if (float32) {
      for (let i = 0; i < vector.length; i++, at += 4) out.writeFloatLE(vector[i] as number, at);
    } else {
      let maxAbs = 0;
      for (let i = 0; i < vector.length; i++)
        maxAbs = Math.max(maxAbs, Math.abs(vector[i] as number));
      const scale = maxAbs > 0 ? maxAbs / 127 : 1;
      out.writeFloatLE(scale, at);
      at += 4;
      for (let i = 0; i < vector.length; i++, at++) {
        out.writeInt8(Math.max(-127, Math.min(127, Math.round((vector[i] as number) / scale))), at);
      }
    }
  }
  return out;
}

/**
 * Reads the header of a value (or of its first bytes). Vectors come back L2-normalised, so a dot
 * product is their cosine; with `withVector` false the vector is skipped (and empty). `truncated` means more bytes are needed; `foreign` means the value was
 * not written by this format (its bytes are then the payload itself).
 */
export function readHeader(value: Buffer, withVector = true): HeaderRead {
  const labels = readLabels(value);
  if (!labels.ok) return labels;
  const flags = value[2] as number;
  const expiresAt = value.readDoubleLE(3);
  let at = labels.end;
  let index: EntryHeader['index'];
  if (flags & flagIndexed) {
    if (value.length < at + partitionDigestBytes + 2) return { ok: false, reason: 'truncated' };
    const partition = value.toString('hex', at, at + partitionDigestBytes);
    at += partitionDigestBytes;
    const dimensions = value.readUInt16LE(at);
    at += 2;
    if (dimensions === 0) return { ok: false, reason: 'corrupt' };
    const float32 = (flags & flagFloat32) !== 0;
    const end = at + (float32 ? 4 * dimensions : 4 + dimensions);
    if (value.length < end) return { ok: false, reason: 'truncated' };
    if (withVector) {
      const vector = new Float32Array(dimensions);
      if (float32) {
        for (let i = 0; i < dimensions; i++) vector[i] = value.readFloatLE(at + 4 * i);
      } else {
        const scale = value.readFloatLE(at);
        for (let i = 0; i < dimensions; i++)
          vector[i] = (value.readInt8(at + 4 + i) as number) * scale;
      }
      normalize(vector);
      index = { partition, vector };
    } else {
      index = { partition, vector: emptyVector };
    }
    at = end;
  }
  return {
    ok: true,
    header: {
      expiresAt,
      modelId: labels.modelId,
      tenant: labels.tenant,
      index,
      deflated: (flags & flagDeflated) !== 0,
      payloadOffset: at,
    },
  };
}

const emptyVector = new Float32Array(0);

/** True when the first 3 bytes of a value say it is an entry of this format with a vector. */
export function isIndexedValue(head: Buffer): boolean {
  return (
    head.length >= 3 &&
    head[0] === entryMagic &&
    head[1] === entryFormatVersion &&
    ((head[2] as number) & flagIndexed) !== 0
  );
}

/** Result of {@link readLabels}. */
export type LabelsRead =
  | {
      ok: true;
      modelId: string | undefined;
      tenant: string | undefined;
      indexed: boolean;
      /** Where the labels end. */
      end: number;
    }
  | { ok: false; reason: FormatProblem };

/** Reads only the admin labels of a value (or of its first bytes). */
export function readLabels(value: Buffer): LabelsRead {
  if (value.length === 0 || value[0] !== entryMagic) return { ok: false, reason: 'foreign' };
  if (value.length >= 2 && value[1] !== entryFormatVersion) {
    return { ok: false, reason: value[1] === 0 ? 'corrupt' : 'unsupported' };
  }
  if (value.length < fixedBytes) return { ok: false, reason: 'truncated' };
  const flags = value[2] as number;
  let at = fixedBytes;
  const labels: (string | undefined)[] = [];
  for (const flag of [flagModel, flagTenant]) {
    if (!(flags & flag)) {
      labels.push(undefined);
      continue;
    }
    if (value.length < at + 2) return { ok: false, reason: 'truncated' };
    const length = value.readUInt16LE(at);
    if (value.length < at + 2 + length) return { ok: false, reason: 'truncated' };
    labels.push(value.toString('utf8', at + 2, at + 2 + length));
    at += 2 + length;
  }
  return {
    ok: true,
    modelId: labels[0],
    tenant: labels[1],
    indexed: (flags & flagIndexed) !== 0,
    end: at,
  };
}

/** Prefix of every payload that stands for an unreadable value; never valid JSON. */
export const corruptPayloadPrefix = '\u0000semcache-corrupt:';

/**
 * The payload of a whole value. Never throws: a foreign value is returned as UTF-8 text and an
 * unreadable one as a marker that is not JSON, so the cache's codec rejects both — it then
 * counts the entry as corrupt and deletes it. A value of a newer layout version gives
 * `undefined`: a plain miss, and the entry stays for the processes that can read it.
 */
export async function readPayload(value: Buffer): Promise<string | undefined> {
  const read = readHeader(value, false);
  if (!read.ok) {
    if (read.reason === 'unsupported') return undefined;
    return read.reason === 'foreign'
      ? value.toString('utf8')
      : `${corruptPayloadPrefix}${read.reason}`;
  }
  const { header } = read;
  const body = value.subarray(header.payloadOffset);
  if (!header.deflated) return body.toString('utf8');
  try {
    const inflated =
      body.length > asyncZlibAboveBytes / 4 ? await inflateRawAsync(body) : inflateRawSync(body);
    return inflated.toString('utf8');
  } catch {
    return `${corruptPayloadPrefix}inflate`;
  }
}

function normalize(vector: Float32Array): void {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] as number) ** 2;
  if (sum === 0) return;
  const inverse = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) * inverse;
}
