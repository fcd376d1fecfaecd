import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { CacheRequest } from './cache-request.js';
import { createEntryCipher } from './encryption.js';
import { isSemcacheError } from './errors.js';
import { MemoryStore } from './memory-store.js';
import { createSemanticCache } from './semantic-cache.js';

const ask = (text: string): CacheRequest => ({
  model: { provider: 'p', id: 'gpt-4.1' },
  messages: [{ role: 'user', content: [{ type: 'text', text }] }],
});

describe('encryption at rest', () => {
  test('round-trips, with a random IV per entry and no plaintext in the payload', () => {
    const cipher = createEntryCipher({ key: randomBytes(32) });
    const a = cipher.encrypt('{"secret":"How do I reset my password?"}');
    const b = cipher.encrypt('{"secret":"How do I reset my password?"}');
    expect(a).not.toBe(b);
    expect(a).not.toMatch(/password/);
    expect(cipher.decrypt(a)).toBe('{"secret":"How do I reset my password?"}');
  });

  test('entries written with the old key are read after rotation', async () => {
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('hex');
    const store = new MemoryStore();
    const before = createSemanticCache({ store, encryption: { key: oldKey } });
    await before.store(ask('How do I reset my password?'), { value: 'answer' });
    const after = createSemanticCache({ store, encryption: { key: [newKey, oldKey] } });
    expect(await after.lookup(ask('How do I reset my password?'))).toMatchObject({
      kind: 'exact',
      value: 'answer',
    });
    expect(await after.lookup(ask('how do i reset my password'))).toMatchObject({
      kind: 'semantic',
      value: 'answer',
    });
    const withoutOld = createSemanticCache({ store, encryption: { key: newKey } });
    expect((await withoutOld.lookup(ask('How do I reset my password?'))).kind).toBe('miss');
  });

  test('stored values hold neither the prompt nor the answer in clear', async () => {
    const store = new MemoryStore();
    const cache = createSemanticCache({ store, encryption: { key: randomBytes(32) } });
    await cache.store(ask('my private question'), { value: 'my private answer' });
    const { exactKey } = cache.keys(ask('my private question'));
    const payload = await store.get('default', exactKey);
    expect(payload).toBeDefined();
    expect(payload).not.toMatch(/private/);
  });

  test('tampered or unencrypted entries are misses, deleted and counted — never an exception', async () => {
    const store = new MemoryStore();
    const cache = createSemanticCache({ store, encryption: { key: randomBytes(32) } });
    await cache.store(ask('q'), { value: 'a' });
    const { exactKey } = cache.keys(ask('q'));
    const payload = (await store.get('default', exactKey)) as string;
    const sealed = JSON.parse(payload) as { c: string };
    const flipped = Buffer.from(sealed.c, 'base64');
    flipped[0] = (flipped[0] as number) ^ 1;
    await store.set('default', {
      key: exactKey,
      payload: JSON.stringify({ ...sealed, c: flipped.toString('base64') }),
      ttlMs: 60_000,
    });
    expect((await cache.lookup(ask('q'))).kind).toBe('miss');
    expect(cache.stats().corruptEntries).toBe(1);
    expect(await store.get('default', exactKey)).toBeUndefined();
    const plain = createSemanticCache({ store });
    await plain.store(ask('q'), { value: 'planted in clear' });
    expect((await cache.lookup(ask('q'))).kind).toBe('miss');
    expect(cache.stats().corruptEntries).toBe(2);
  });

  test('a key of the wrong size is an INVALID_OPTIONS error that says how to make one', () => {
    try {
      createSemanticCache({ encryption: { key: 'too-short' } });
      expect.unreachable();
    } catch (error) {
      expect(isSemcacheError(error, 'INVALID_OPTIONS')).toBe(true);
      expect((error as Error).message).toMatch(/32 bytes.*randomBytes/s);
    }
  });
});
