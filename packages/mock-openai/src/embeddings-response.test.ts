import { describe, expect, test } from 'vitest';
import { embedText } from './embedding.js';
import { buildEmbeddingsResponse, defaultEmbeddingDimensions } from './embeddings-response.js';

type Body = {
  data: Array<{ index: number; embedding: number[] | string }>;
  usage: { prompt_tokens: number };
};

function ok(body: unknown): Body {
  const result = buildEmbeddingsResponse(body);
  if (!result.ok) throw new Error(result.message);
  return result.body as unknown as Body;
}

describe('buildEmbeddingsResponse', () => {
  test('embeds a single string with the default dimensions', () => {
    const result = buildEmbeddingsResponse({ model: 'emb', input: 'hello' });
    expect(result).toEqual({
      ok: true,
      body: {
        object: 'list',
        data: [
          {
            object: 'embedding',
            index: 0,
            embedding: embedText('hello', defaultEmbeddingDimensions),
          },
        ],
        model: 'emb',
        usage: { prompt_tokens: 2, total_tokens: 2 },
      },
    });
  });

  test('embeds arrays of strings and token arrays, honouring dimensions', () => {
    const body = ok({ model: 'emb', input: ['a', [1, 2]], dimensions: 16 });
    expect(body.data.map((d) => d.index)).toEqual([0, 1]);
    expect(body.data[0]?.embedding).toHaveLength(16);
    expect(ok({ model: 'emb', input: [1, 2, 3] }).data).toHaveLength(1);
  });

  test('encodes base64 float32 vectors on request', () => {
    const encoded = ok({ model: 'emb', input: 'hello', encoding_format: 'base64' }).data[0]
      ?.embedding;
    expect(typeof encoded).toBe('string');
    const bytes = Buffer.from(String(encoded), 'base64');
    const decoded = Array.from(
      new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4),
    );
    const expected = embedText('hello', defaultEmbeddingDimensions);
    for (const [i, value] of decoded.entries())
      expect(value).toBeCloseTo(expected[i] ?? Number.NaN, 6);
  });

  test.each([
    ['a non-object body', 'x', '$'],
    ['a missing model', { input: 'x' }, 'model'],
    ['a missing input', { model: 'm' }, 'input'],
    ['an empty input array', { model: 'm', input: [] }, 'input'],
    ['mixed input', { model: 'm', input: ['a', { b: 1 }] }, 'input'],
    ['bad dimensions', { model: 'm', input: 'a', dimensions: 0 }, 'dimensions'],
    ['a bad encoding', { model: 'm', input: 'a', encoding_format: 'hex' }, 'encoding_format'],
  ])('rejects %s', (_, body, param) => {
    const result = buildEmbeddingsResponse(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.param).toBe(param);
  });
});
