import { cosineSimilarity, lexicalVector } from '@semcache/core/internal';
import { describe, expect, test } from 'vitest';
import {
  corruptPayloadPrefix,
  encodeEntry,
  encodeHeader,
  isIndexedValue,
  partitionDigest,
  readHeader,
  readLabels,
  readPayload,
} from './entry-format.js';

const encoding = { compressAboveBytes: 1024, vectorEncoding: 'int8' as const };
const vector = lexicalVector('how do I reset my password', 512);
const index = { partition: partitionDigest('lexical:context'), vector };

describe('entry format', () => {
  test('round-trips payload, labels, expiry and an int8 vector close to the original', async () => {
    const value = await encodeEntry(
      { expiresAt: 1234.5, payload: '{"a":"é"}', modelId: 'gpt-4.1', tenant: 'acme', index },
      encoding,
    );
    const read = readHeader(value);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.header).toMatchObject({
      expiresAt: 1234.5,
      modelId: 'gpt-4.1',
      tenant: 'acme',
      deflated: false,
    });
    expect(read.header.index?.partition).toBe(index.partition);
    expect(cosineSimilarity(read.header.index?.vector as Float32Array, vector)).toBeGreaterThan(
      0.999,
    );
    expect(await readPayload(value)).toBe('{"a":"é"}');
    expect(isIndexedValue(value)).toBe(true);
    expect(readLabels(value)).toMatchObject({
      ok: true,
      modelId: 'gpt-4.1',
      tenant: 'acme',
      indexed: true,
    });
  });

  test('an int8 vector takes a quarter of a float32 one', async () => {
    const int8 = await encodeEntry({ expiresAt: 1, payload: '', index }, encoding);
    const float32 = await encodeEntry(
      { expiresAt: 1, payload: '', index },
      { ...encoding, vectorEncoding: 'float32' },
    );
    expect(float32.length - int8.length).toBe(3 * 512 - 4);
    const read = readHeader(float32);
    expect(
      read.ok && cosineSimilarity(read.header.index?.vector as Float32Array, vector),
    ).toBeCloseTo(1, 6);
  });

  test('large payloads are deflated when that helps, small and incompressible ones are not', async () => {
    const large = JSON.stringify({ text: 'the same words again and again '.repeat(100) });
    const packed = await encodeEntry({ expiresAt: 1, payload: large }, encoding);
    expect(packed.length).toBeLessThan(large.length / 5);
    expect(await readPayload(packed)).toBe(large);
    const small = await encodeEntry({ expiresAt: 1, payload: 'x'.repeat(1000) }, encoding);
    expect((readHeader(small) as { header: { deflated: boolean } }).header.deflated).toBe(false);
    const noise = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 251)).toString(
      'base64',
    );
    expect(await readPayload(await encodeEntry({ expiresAt: 1, payload: noise }, encoding))).toBe(
      noise,
    );
  });

  test('the header alone (as on the change stream) carries expiry, partition and vector', () => {
    const header = encodeHeader({ expiresAt: 99, index }, 'int8');
    const read = readHeader(header);
    expect(read.ok && read.header.expiresAt).toBe(99);
    expect(read.ok && read.header.index?.vector.length).toBe(512);
  });

  test('a cut-off value reads as truncated until the header is complete', async () => {
    const value = await encodeEntry(
      { expiresAt: 1, payload: 'payload', modelId: 'm', index },
      encoding,
    );
    expect(readHeader(value.subarray(0, 100))).toEqual({ ok: false, reason: 'truncated' });
    expect(readHeader(value.subarray(0, value.length - 'payload'.length)).ok).toBe(true);
  });

  test('foreign values pass through as text; broken ones become a non-JSON marker', async () => {
    expect(readHeader(Buffer.from('{"v":1}'))).toEqual({ ok: false, reason: 'foreign' });
    expect(await readPayload(Buffer.from('{"v":1}'))).toBe('{"v":1}');
    const broken = Buffer.from([0xf5, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9]);
    const payload = (await readPayload(broken)) as string;
    expect(payload.startsWith(corruptPayloadPrefix)).toBe(true);
    expect(() => JSON.parse(payload)).toThrow();
    expect(readHeader(Buffer.from([0xf5, 0, 0]))).toEqual({ ok: false, reason: 'corrupt' });
  });

  test('a value of a newer layout version is a plain miss, not a corrupt entry', async () => {
    const newer = Buffer.from([0xf5, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]);
    expect(readHeader(newer)).toEqual({ ok: false, reason: 'unsupported' });
    expect(await readPayload(newer)).toBeUndefined();
  });

  test('a partition must be given as its digest', () => {
    expect(() =>
      encodeHeader({ expiresAt: 1, index: { partition: 'raw', vector } }, 'int8'),
    ).toThrow(/partitionDigest/);
    expect(partitionDigest('a')).toMatch(/^[0-9a-f]{32}$/);
    expect(partitionDigest('a')).not.toBe(partitionDigest('b'));
  });
});
