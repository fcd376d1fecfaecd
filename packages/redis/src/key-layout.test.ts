import { describe, expect, test } from 'vitest';
import { decodeNamespace, encodeNamespace, keyLayout } from './key-layout.js';

describe('keyLayout', () => {
  const layout = keyLayout();

  test('every key lives under the prefix, with namespace and generation in entry keys', () => {
    expect(layout.entry('default', 35, 'abc')).toBe('semcache:default:z:e:{abc}');
    expect(layout.generation('default')).toBe('semcache:default:gen');
    expect(layout.lease('default', 'abc')).toBe('semcache:default:l:{abc}');
    expect(layout.changes).toBe('semcache:!changes');
    expect(keyLayout('app:').entry('n', 1, 'k')).toBe('app:n:1:e:{k}');
  });

  test('an entry and its lease share the hash tag of the exact key', () => {
    const tag = (key: string) => /\{([^}]*)\}/.exec(key)?.[1];
    expect(tag(layout.entry('ns', 7, 'k1'))).toBe('k1');
    expect(tag(layout.lease('ns', 'k1'))).toBe('k1');
  });

  test("a partition's vector set shares the hash tag of its list and parses back", () => {
    const tag = (key: string) => /\{([^}]*)\}/.exec(key)?.[1];
    const key = layout.vectorSet('a:b', 36, 'f00d');
    expect(key).toBe('semcache:a%3Ab:10:v:{f00d}');
    expect(tag(key)).toBe(tag(layout.partition('a:b', 36, 'f00d')));
    expect(layout.parseVectorSet(key)).toEqual({ namespace: 'a:b', generation: 36 });
    expect(layout.parseVectorSet(layout.entry('a:b', 36, 'f00d'))).toBeUndefined();
    expect(layout.allVectorSets).toBe('semcache:*:v:{*}');
    expect(layout.namespaceVectorSets('a*')).toBe('semcache:a%2A:*:v:{*}');
  });

  test('entry keys parse back, whatever the namespace holds', () => {
    for (const namespace of [
      'default',
      'a:b',
      '客户',
      'x*y?[z]{w}',
      '',
      '100%',
      'x\ud800',
      '~u',
      '😀',
    ]) {
      const key = layout.entry(namespace, 1_795_836_152_736, 'k:with:colons');
      expect(layout.parseEntry(key)).toEqual({
        namespace,
        generation: 1_795_836_152_736,
        key: 'k:with:colons',
      });
      expect(layout.parseGeneration(layout.generation(namespace))).toBe(namespace);
    }
    expect(layout.parseEntry('semcache:default:gen')).toBeUndefined();
    expect(layout.parseEntry('semcache:default:l:{k}')).toBeUndefined();
    expect(layout.parseEntry('other:default:1:e:{k}')).toBeUndefined();
  });

  test('namespaces never collide, and SCAN patterns of one never match another', () => {
    const a = encodeNamespace('a');
    const ab = encodeNamespace('a:b');
    expect(ab).not.toContain(':');
    expect(layout.namespaceEntries('a')).toBe(`semcache:${a}:*:e:{*}`);
    // "a:*" would match namespace "a:b" if ":" were left unencoded.
    expect(layout.entry('a:b', 1, 'k').startsWith(`semcache:${a}:`)).toBe(false);
  });

  test('glob characters in the prefix and key are escaped in patterns', () => {
    expect(keyLayout('p*[x]:').allEntries).toBe('p\\*\\[x\\]:*:e:{*}');
    expect(layout.keyEntries('a*b')).toBe('semcache:*:*:e:{a\\*b}');
    expect(layout.keyEntries('k', 'docs')).toBe('semcache:docs:*:e:{k}');
  });

  test('encodeNamespace keeps plain names readable and round-trips the rest', () => {
    expect(encodeNamespace('prod-v2.1_x')).toBe('prod-v2.1_x');
    expect(encodeNamespace('a b')).toBe('a%20b');
    expect(decodeNamespace(encodeNamespace('😀:{}'))).toBe('😀:{}');
    expect(decodeNamespace('%E0%A4%A')).toBeUndefined();
    expect(decodeNamespace('a:b')).toBeUndefined();
  });

  test('near-identical namespaces never share an encoding', () => {
    const names = [
      'a:b',
      'a%3Ab',
      'x\ud800',
      'x\udc00',
      'x\ufffd',
      'caf\u00e9',
      'cafe\u0301',
      '',
      '~',
      '%7E',
    ];
    const encoded = names.map(encodeNamespace);
    expect(new Set(encoded).size).toBe(names.length);
    for (const [i, name] of names.entries())
      expect(decodeNamespace(encoded[i] as string)).toBe(name);
  });
});
