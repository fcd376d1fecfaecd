import { createSemanticCache } from '@semcache/core';
import { cosineSimilarity } from '@semcache/core/internal';
import { startMockOpenAI } from '@semcache/mock-openai';
import { expect, test } from 'vitest';
import { aiSdkEmbedder } from './ai-sdk-embedder.js';
import { createHolySheep } from './holysheep.js';

test('wraps an AI SDK embedding model as a core embedder (batched, normalised) usable by the cache', async () => {
  const server = await startMockOpenAI();
  try {
    const holysheep = createHolySheep({ apiKey: 'k', baseURL: server.url });
    const embedder = aiSdkEmbedder(holysheep.textEmbeddingModel('text-embedding-3-small'));
    expect(embedder.id).toBe('ai-sdk:holysheep.embedding:text-embedding-3-small');
    const [a, b, c] = await embedder.embed([
      'How do I reset my password?',
      'how do i reset my password',
      'pizza toppings',
    ]);
    expect(server.requests.embeddings).toBe(1);
    expect(embedder.dimensions).toBe(a!.length);
    expect(cosineSimilarity(a!, b!)).toBeGreaterThan(cosineSimilarity(a!, c!));
    const norm = Math.sqrt(a!.reduce((s, x) => s + x * x, 0));
    expect(norm).toBeCloseTo(1, 5);

    const cache = createSemanticCache({ embedder });
    const ask = (text: string) => ({
      model: { provider: 'p', id: 'm' },
      messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }],
    });
    await cache.store(ask('How do I reset my password?'), { value: 'answer' });
    expect((await cache.lookup(ask('how do i reset my password'))).kind).toBe('semantic');
  } finally {
    await server.close();
  }
});
