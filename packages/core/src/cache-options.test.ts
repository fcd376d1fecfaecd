import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { checkCallOptions, semanticCacheDefaults } from './cache-options.js';
import { SemcacheError } from './errors.js';
import { createSemanticCache } from './semantic-cache.js';

function optionsError(run: () => unknown): SemcacheError {
  try {
    run();
  } catch (error) {
    if (SemcacheError.isInstance(error, 'INVALID_OPTIONS')) return error;
    throw error;
  }
  throw new Error('expected INVALID_OPTIONS');
}

describe('createSemanticCache options', () => {
  test('an unknown option name is INVALID_OPTIONS naming the valid ones', () => {
    const error = optionsError(() => createSemanticCache({ threshhold: 0.8 } as never));
    expect(error.message).toMatch(
      /threshhold is not an option; use one of store, embedder, threshold,/,
    );
  });

  test.each([
    [{ ttlSeconds: 0 }, /ttlSeconds must be a number \(seconds, > 0\)/],
    [{ threshold: 2 }, /threshold must be a number: a cosine similarity in \[0, 1\]/],
    [{ storeTimeoutMs: -1 }, /storeTimeoutMs must be a positive number of milliseconds/],
    [{ candidates: 0.5 }, /candidates must be an integer ≥ 1/],
    [{ semantic: 'yes' }, /semantic must be true or false/],
    [{ semanticText: 'all' }, /semanticText must be one of 'last-user', 'conversation'/],
    [{ guards: [1] }, /guards must be true, false or an array of SemanticGuard functions/],
    [{ store: {} }, /store must be a CacheStore .* with a get\(\) method/],
    [{ embedder: { id: 'x' } }, /embedder must be an Embedder/],
  ])('%j is INVALID_OPTIONS: %s', (options, message) => {
    expect(optionsError(() => createSemanticCache(options as never)).message).toMatch(message);
  });

  test('per-call options are checked the same way', () => {
    expect(checkCallOptions({ threshold: 0.5, bypass: true })).toEqual({
      threshold: 0.5,
      bypass: true,
    });
    expect(optionsError(() => checkCallOptions({ treshold: 1 } as never)).message).toMatch(
      /treshold is not an option; use one of bypass, refresh, ttlSeconds, threshold, semantic, cacheNonDeterministic/,
    );
  });
});

describe('SemcacheError.isInstance', () => {
  test('recognises errors of another copy of the package (same Symbol.for marker), not look-alikes', () => {
    const own = new SemcacheError('CORRUPT_ENTRY', 'x');
    // What an error from a second installed copy looks like: another class, the same marker.
    class OtherCopy extends Error {
      readonly code = 'STORE_UNAVAILABLE';
      constructor() {
        super('y');
        Object.defineProperty(this, Symbol.for('semcache.error'), { value: true });
      }
    }
    const foreign = new OtherCopy();
    expect(SemcacheError.isInstance(own)).toBe(true);
    expect(SemcacheError.isInstance(own, 'CORRUPT_ENTRY')).toBe(true);
    expect(SemcacheError.isInstance(own, 'INVALID_OPTIONS')).toBe(false);
    expect(foreign instanceof SemcacheError).toBe(false);
    expect(SemcacheError.isInstance(foreign, 'STORE_UNAVAILABLE')).toBe(true);
    const lookAlike = Object.assign(new Error('z'), {
      name: 'SemcacheError',
      code: 'CORRUPT_ENTRY',
    });
    expect(SemcacheError.isInstance(lookAlike)).toBe(false);
    expect(SemcacheError.isInstance(null)).toBe(false);
  });
});

describe('the README states each default once and agrees with the code', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const table = new Map<string, string>();
  for (const line of readme.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const name = /^`(\w+)`$/.exec(cells[1] ?? '')?.[1];
    if (name && cells[2] !== undefined) table.set(name, cells[2]);
  }

  test.each(Object.entries(semanticCacheDefaults).filter(([name]) => name !== 'fallbackThreshold'))(
    '%s',
    (name, value) => {
      const documented = table.get(name);
      const expected =
        name === 'circuitBreaker'
          ? `${semanticCacheDefaults.circuitBreaker.failureThreshold} failures → ${semanticCacheDefaults.circuitBreaker.cooldownMs / 1000} s pause`
          : `\`${JSON.stringify(value).replaceAll('"', "'").replaceAll(',', ', ')}\``;
      expect(documented).toBe(expected);
    },
  );

  test('threshold: the embedder’s own, else the lexical 0.91', () => {
    expect(table.get('threshold')).toBe(
      `embedder's \`defaultThreshold\`, else \`${semanticCacheDefaults.fallbackThreshold}\``,
    );
  });
});
