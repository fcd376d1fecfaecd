import { expect, test } from 'vitest';
import { systemFingerprint } from './completion-meta.js';

test('systemFingerprint looks like an OpenAI fingerprint', () => {
  expect(systemFingerprint).toMatch(/^fp_/);
});
