import { createSemanticCache, type SemanticCache } from '@semcache/core';
import { isSemcacheError } from '@semcache/core/internal';
import { describe, expect, test } from 'vitest';
import { resolveOptions } from './cache-options.js';

describe('resolveOptions', () => {
  test('defaults', () => {
    const cache = createSemanticCache();
    expect(resolveOptions({ cache })).toEqual({
      scope: {},
      callOptions: {},
      coalesce: true,
    });
  });

  test('scope and per-call options', () => {
    const cache = createSemanticCache();
    expect(
      resolveOptions({
        cache,
        tenant: 't',
        namespace: 'n',
        threshold: 0.8,
        ttlSeconds: 5,
        bypass: false,
        coalesce: false,
      }),
    ).toEqual({
      scope: { tenant: 't', namespace: 'n' },
      callOptions: { threshold: 0.8, ttlSeconds: 5, bypass: false },
      coalesce: false,
    });
  });

  test('rejects a missing core cache and a bad bound', () => {
    const missing = () => resolveOptions({ cache: undefined as unknown as SemanticCache });
    expect(missing).toThrow(/createSemanticCache/);
    expect(() => resolveOptions({ cache: createSemanticCache(), threshold: 1.5 })).toThrow(
      /threshold/,
    );
    expect(() => resolveOptions({ cache: createSemanticCache(), ttlSeconds: -1 })).toThrow(
      /ttlSeconds/,
    );
    try {
      // coalesceTimeoutMs is the core cache's option: set it once, on createSemanticCache.
      resolveOptions({ cache: createSemanticCache(), coalesceTimeoutMs: 0 } as never);
      expect.unreachable();
    } catch (error) {
      expect(isSemcacheError(error, 'INVALID_OPTIONS')).toBe(true);
      expect((error as Error).message).toMatch(/coalesceTimeoutMs is not an option; use one of/);
    }
  });
});
