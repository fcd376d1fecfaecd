import { expect, test } from 'vitest';
import { hash32, sha256Hex } from './hash.js';

test('sha256Hex matches the standard test vector and hash32 spreads similar inputs', () => {
  expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  const buckets = new Set(Array.from({ length: 1000 }, (_, i) => hash32(`w:${i}`) % 64));
  expect(buckets.size).toBe(64);
  expect(hash32('x')).toBe(hash32('x'));
});
