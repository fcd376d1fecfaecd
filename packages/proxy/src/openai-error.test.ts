import { expect, test } from 'vitest';
import { errorResponse } from './openai-error.js';

test('errors have the OpenAI body shape every client parses', async () => {
  const response = errorResponse(400, 'Bad thing.', 'invalid_request', {
    param: 'model',
    headers: { 'x-semcache': 'bypass' },
  });
  expect(response.status).toBe(400);
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(response.headers.get('x-semcache')).toBe('bypass');
  expect(await response.json()).toEqual({
    error: {
      message: 'Bad thing.',
      type: 'invalid_request_error',
      param: 'model',
      code: 'invalid_request',
    },
  });
  const upstream = (await errorResponse(502, 'Down.', 'upstream_unreachable').json()) as {
    error: { type: string; param: null };
  };
  expect(upstream.error).toMatchObject({ type: 'upstream_error', param: null });
});
