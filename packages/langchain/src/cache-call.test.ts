import { createSemanticCache } from '@semcache/core';
import { expect, test } from 'vitest';
import { toCacheCall } from './cache-call.js';
import { resolveOptions } from './cache-options.js';

const llmKey = 'model:"gpt-4.1",temperature:0';

test('keys a call, and goes around the cache for uncacheable or unkeyable calls without throwing', () => {
  const core = createSemanticCache();
  const errors: string[] = [];
  core.on('error', (event) => errors.push(event.operation));
  const options = resolveOptions({ cache: core });
  const call = toCacheCall(core, options, 'Human: hi', llmKey);
  expect(call?.key.split('\u0000')).toEqual([
    'default',
    core.keys(call?.request ?? { model: { provider: '', id: '' }, messages: [] }).exactKey,
  ]);
  expect(
    toCacheCall(core, options, 'Human: hi', 'model:"gpt-4.1",temperature:0.9'),
  ).toBeUndefined();
  expect(toCacheCall(core, options, 'Human: hi', 'model:"gpt-4.1",temperature:')).toBeUndefined();
  expect(errors).toEqual(['langchain-request']);
});
