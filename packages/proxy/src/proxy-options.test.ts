import { readFileSync } from 'node:fs';
import { createSemanticCache, SemcacheError } from '@semcache/core';
import { describe, expect, test } from 'vitest';
import { type ProxyOptions, proxyDefaults, resolveProxyOptions } from './proxy-options.js';

describe('resolveProxyOptions', () => {
  test('defaults', () => {
    expect(resolveProxyOptions({})).toMatchObject({
      ...proxyDefaults,
      redisUrl: undefined,
      upstreamKey: undefined,
      clientKeys: [],
      cacheOptions: {},
    });
  });

  test('an unknown option is INVALID_OPTIONS naming the valid ones', () => {
    try {
      resolveProxyOptions({ upstreem: 'x' } as ProxyOptions);
      expect.unreachable();
    } catch (error) {
      expect(SemcacheError.isInstance(error, 'INVALID_OPTIONS')).toBe(true);
      expect((error as Error).message).toMatch(
        /upstreem is not an option; use one of upstream, host/,
      );
    }
  });

  test.each<[ProxyOptions, RegExp]>([
    [{ upstream: 'not a url' }, /upstream must be an http\(s\) URL/],
    [{ upstream: 'https://user:pw@api.example.test/v1' }, /must not hold credentials/],
    [{ port: 70_000 }, /port must be/],
    [{ redisUrl: 'http://localhost' }, /redis:\/\//],
    [{ upstreamKey: 'sk-x' }, /clients must authenticate/],
    [{ clientKeys: ['a'] }, /need an upstream key/],
    [{ upstreamKey: 'sk-x', clientKeys: [''] }, /non-empty strings/],
    [{ upstreamKey: 'sk-x', clientKeys: ['a b'] }, /spaces/],
    [{ maxBodyBytes: 0 }, /maxBodyBytes/],
    [{ shutdownTimeoutMs: -1 }, /shutdownTimeoutMs/],
    [{ cache: createSemanticCache(), redisUrl: 'redis://localhost' }, /either cache/],
    [
      { redisUrl: 'redis://localhost', cacheOptions: { store: createSemanticCache().cacheStore } },
      /either redisUrl/,
    ],
    [{ log: 'stderr' as never }, /log must be a function/],
  ])('%j is refused', (options, message) => {
    expect(() => resolveProxyOptions(options)).toThrow(message);
  });

  test('the upstream key never shows in an error message', () => {
    const key = 'sk-must-not-be-echoed-123';
    expect(() => resolveProxyOptions({ upstreamKey: key })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(key) }),
    );
  });

  test('every option has exactly one @default in its TSDoc', () => {
    const source = readFileSync(new URL('./proxy-options.ts', import.meta.url), 'utf8');
    const body = source.slice(
      source.indexOf('export interface ProxyOptions'),
      source.indexOf('/** The default of every option'),
    );
    const fields = [...body.matchAll(/^ {2}(\w+)\?:/gm)].map((m) => m[1]);
    const defaults = body.match(/@default/g) ?? [];
    expect(fields.length).toBeGreaterThan(10);
    expect(defaults).toHaveLength(fields.length);
  });
});
