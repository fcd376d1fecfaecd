import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { OpenAIEmbeddings } from '@langchain/openai';
import { createSemanticCache } from '@semcache/core';
import { isSemcacheError } from '@semcache/core/internal';
import { cosineSimilarity, defaultEmbeddingDimensions, embedText } from '@semcache/mock-openai';
import { describe, expect, test } from 'vitest';
import { useMockServer } from './chat-fixture.test.helper.js';
import { langchainEmbedder } from './langchain-embedder.js';

const server = useMockServer();

class FixedEmbeddings implements EmbeddingsInterface {
  model = 'fixed-3';
  constructor(private readonly vectors: number[][]) {}
  async embedDocuments(documents: string[]): Promise<number[][]> {
    return documents.map((_text, i) => this.vectors[i % this.vectors.length] ?? []);
  }
  async embedQuery(): Promise<number[]> {
    return this.vectors[0] ?? [];
  }
}

describe('langchainEmbedder', () => {
  test('normalises vectors and names the model and dimensions', async () => {
    const embedder = langchainEmbedder(new FixedEmbeddings([[3, 4, 0]]));
    expect(embedder.id).toBe('langchain:fixed-3:?');
    const [vector] = await embedder.embed(['a']);
    const [x, y, z] = Array.from(vector ?? []);
    expect(x).toBeCloseTo(0.6, 6);
    expect(y).toBeCloseTo(0.8, 6);
    expect(z).toBe(0);
    expect(embedder.dimensions).toBe(3);
    expect(embedder.id).toBe('langchain:fixed-3:3');
  });

  test('rejects vectors of another length than declared', async () => {
    const embedder = langchainEmbedder(new FixedEmbeddings([[1, 0]]), { dimensions: 3 });
    await expect(embedder.embed(['a'])).rejects.toSatisfy((error) =>
      isSemcacheError(error, 'EMBEDDER_FAILED'),
    );
  });

  test('rejects non-finite numbers and wrong vector counts', async () => {
    await expect(
      langchainEmbedder(new FixedEmbeddings([[Number.NaN, 1]])).embed(['a']),
    ).rejects.toThrow(/non-finite/);
    const short: EmbeddingsInterface = {
      embedDocuments: async () => [],
      embedQuery: async () => [],
    };
    await expect(langchainEmbedder(short).embed(['a'])).rejects.toThrow(/0 vectors for 1/);
  });

  test('rejects a bad dimensions option', () => {
    expect(() => langchainEmbedder(new FixedEmbeddings([[1]]), { dimensions: 0 })).toThrow(
      /positive integer/,
    );
  });

  test('drives semantic hits with OpenAIEmbeddings over HTTP', async () => {
    const embeddings = new OpenAIEmbeddings({
      model: 'text-embedding-3-small',
      apiKey: 'test-key',
      configuration: { baseURL: server().url },
      maxRetries: 0,
    });
    // Threshold 0: any candidate the guards accept is served, so the similarity can be checked.
    const cache = createSemanticCache({ embedder: langchainEmbedder(embeddings), threshold: 0 });
    const ask = (text: string) => ({
      model: { provider: 'test', id: 'gpt-4.1' },
      messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }],
    });
    const stored = 'How do I reset my password?';
    const asked = 'How can I reset my password?';
    await cache.store(ask(stored), { value: 'answer' });
    const found = await cache.lookup(ask(asked));
    expect(server().requests.embeddings).toBe(2);
    expect(cache.embedder.id).toBe(
      `langchain:text-embedding-3-small:${defaultEmbeddingDimensions}`,
    );
    const expected = cosineSimilarity(
      embedText(stored, defaultEmbeddingDimensions),
      embedText(asked, defaultEmbeddingDimensions),
    );
    expect(found).toMatchObject({ kind: 'semantic', value: 'answer' });
    expect(found.kind === 'semantic' && found.similarity).toBeCloseTo(expected, 4);
  });
});
