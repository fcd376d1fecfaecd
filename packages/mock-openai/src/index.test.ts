import { expect, test } from 'vitest';
import * as api from './index.js';

test('exports the public API', () => {
  expect(Object.keys(api).sort()).toEqual([
    'cosineSimilarity',
    'defaultEmbeddingDimensions',
    'embedText',
    'mockModelIds',
    'sampleFromSchema',
    'startMockOpenAI',
  ]);
});
