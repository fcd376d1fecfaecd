import { expect, test } from 'vitest';
import { isSemcacheError } from './errors.js';
import { withTimeout } from './with-timeout.js';

test('passes results through and turns a hang into STORE_UNAVAILABLE', async () => {
  expect(await withTimeout(Promise.resolve(1), 50, 'op')).toBe(1);
  await expect(withTimeout(Promise.reject(new Error('x')), 50, 'op')).rejects.toThrow('x');
  const error = await withTimeout(new Promise(() => {}), 10, 'redis get').catch((e: unknown) => e);
  expect(isSemcacheError(error, 'STORE_UNAVAILABLE')).toBe(true);
  expect((error as Error).message).toMatch(/redis get did not answer within 10 ms/);
});

test('a late rejection after the timeout is not an unhandled rejection', async () => {
  let rejectLate: (error: Error) => void = () => {};
  const late = new Promise<never>((_, reject) => {
    rejectLate = reject;
  });
  await expect(withTimeout(late, 5, 'op')).rejects.toThrow(/did not answer/);
  rejectLate(new Error('late'));
  await new Promise((resolve) => setTimeout(resolve, 5));
});
