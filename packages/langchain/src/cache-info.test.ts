import { AIMessage } from '@langchain/core/messages';
import { describe, expect, test } from 'vitest';
import { hitInfo, readCacheInfo } from './cache-info.js';

describe('readCacheInfo', () => {
  test('reads hit and miss info', () => {
    const hit = { hit: 'semantic', similarity: 0.93, ageMs: 10 };
    expect(
      readCacheInfo(new AIMessage({ content: 'x', response_metadata: { semcache: hit } })),
    ).toEqual(hit);
    const miss = { hit: 'miss', stored: true, coalesced: false };
    expect(
      readCacheInfo(new AIMessage({ content: 'x', response_metadata: { semcache: miss } })),
    ).toEqual(miss);
  });

  test('anything else is undefined', () => {
    expect(readCacheInfo(new AIMessage('x'))).toBeUndefined();
    expect(
      readCacheInfo(
        new AIMessage({ content: 'x', response_metadata: { semcache: { hit: true } } }),
      ),
    ).toBeUndefined();
    expect(
      readCacheInfo(new AIMessage({ content: 'x', response_metadata: { semcache: 'exactexact' } })),
    ).toBeUndefined();
  });
});

describe('hitInfo', () => {
  test('maps a core hit, with savedUsd only when known', () => {
    const hit = {
      kind: 'semantic' as const,
      value: null,
      key: 'k',
      similarity: 0.95,
      ageMs: 3,
      modelId: 'm',
      usage: undefined,
    };
    expect(hitInfo({ ...hit, savedUsd: undefined })).toEqual({
      hit: 'semantic',
      similarity: 0.95,
      ageMs: 3,
    });
    expect(hitInfo({ ...hit, savedUsd: 0.01 }, true)).toEqual({
      hit: 'semantic',
      similarity: 0.95,
      ageMs: 3,
      savedUsd: 0.01,
      coalesced: true,
    });
  });
});
