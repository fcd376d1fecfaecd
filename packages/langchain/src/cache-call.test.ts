import { createSemanticCache } from '@semcache/core';
import { expect, test } from 'vitest';
import { toCacheCall } from './cache-call.js';
import { resolveOptions } from './cache-options.js';

const llmKey = 'model:"gpt-4.1",temperature:0';

test('builds the request of a call, and goes around the cache for uncacheable or unkeyable calls without throwing', () => {
  const core = createSemanticCache();
  const errors: string[] = [];
  core.on('error', (event) => errors.push(event.operation));
  const options = resolveOptions({ cache: core });
  const request = toCacheCall(core, options, 'Human: hi', llmKey);
  expect(request?.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
  expect(core.keys(request ?? { model: { provider: '', id: '' }, messages: [] }).namespace).toBe(
    'default',
  );
  expect(
    toCacheCall(core, options, 'Human: hi', 'model:"gpt-4.1",temperature:0.9'),
  ).toBeUndefined();
  expect(toCacheCall(core, options, 'Human: hi', 'model:"gpt-4.1",temperature:')).toBeUndefined();
  expect(errors).toEqual(['langchain-request']);
});
