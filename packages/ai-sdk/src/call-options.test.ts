import { isSemcacheError } from '@semcache/core/internal';
import { expect, test } from 'vitest';
import { readCallOptions, toCoreCallOptions } from './call-options.js';

test('reads per-call options and keeps scope out of the core options', () => {
  const options = readCallOptions({ semcache: { bypass: true, tenant: 't', threshold: 0.8 } });
  expect(options).toEqual({ bypass: true, tenant: 't', threshold: 0.8 });
  expect(toCoreCallOptions(options)).toEqual({ bypass: true, threshold: 0.8 });
  expect(readCallOptions(undefined)).toEqual({});
});

test.each([
  [{ semcache: 'yes' }, /must be an object/],
  [{ semcache: { bypas: true } }, /bypas is not an option/],
  [{ semcache: { ttlSeconds: '60' } }, /ttlSeconds must be a number/],
])('rejects invalid use with INVALID_OPTIONS (%#)', (providerOptions, message) => {
  try {
    readCallOptions(providerOptions as never);
    expect.unreachable();
  } catch (error) {
    expect(isSemcacheError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toMatch(message);
  }
});
