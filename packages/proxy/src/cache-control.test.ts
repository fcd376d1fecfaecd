import { describe, expect, test } from 'vitest';
import { readRequestControl } from './cache-control.js';

const read = (headers: Record<string, string>) => readRequestControl(new Headers(headers));

describe('readRequestControl', () => {
  test('no headers: default cache behaviour', () => {
    expect(read({})).toEqual({ ok: true, control: { callOptions: {}, namespace: undefined } });
  });

  test('Cache-Control no-store bypasses, no-cache refreshes; other directives are ignored', () => {
    expect(read({ 'cache-control': 'no-store' })).toMatchObject({
      control: { callOptions: { bypass: true } },
    });
    expect(read({ 'cache-control': 'max-age=0, No-Cache' })).toMatchObject({
      control: { callOptions: { refresh: true } },
    });
    expect(read({ 'cache-control': 'no-cache, no-store' })).toMatchObject({
      control: { callOptions: { bypass: true } },
    });
    expect(read({ 'cache-control': 'max-age=60, private' })).toMatchObject({
      control: { callOptions: {} },
    });
  });

  test('x-semcache-ttl in seconds and x-semcache-namespace', () => {
    expect(read({ 'x-semcache-ttl': '600', 'x-semcache-namespace': 'team-a.v2' })).toEqual({
      ok: true,
      control: { callOptions: { ttlSeconds: 600 }, namespace: 'team-a.v2' },
    });
    expect(read({ 'x-semcache-ttl': '1.5' })).toMatchObject({
      control: { callOptions: { ttlSeconds: 1.5 } },
    });
  });

  test.each([
    ['x-semcache-ttl', ''],
    ['x-semcache-ttl', '0'],
    ['x-semcache-ttl', '1e3'],
    ['x-semcache-ttl', 'Infinity'],
    ['x-semcache-namespace', ''],
    ['x-semcache-namespace', 'a/b'],
    ['x-semcache-namespace', 'ä'],
  ])('%s: "%s" is refused, naming the header', (header, value) => {
    const result = read({ [header]: value });
    expect(result).toMatchObject({ ok: false, header });
  });
});
