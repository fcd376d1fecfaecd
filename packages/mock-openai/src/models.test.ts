import { expect, test } from 'vitest';
import { buildModelList, mockModelIds } from './models.js';

test('buildModelList lists every mock model in OpenAI shape', () => {
  const list = buildModelList() as { object: string; data: Array<{ id: string; object: string }> };
  expect(list.object).toBe('list');
  expect(list.data.map((m) => m.id)).toEqual(mockModelIds);
  expect(list.data.every((m) => m.object === 'model')).toBe(true);
});
