import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { CacheRequest } from './cache-request.js';
import type { JsonValue } from './json.js';
import { MemoryStore } from './memory-store.js';
import { createSemanticCache, type SemanticCache } from './semantic-cache.js';

/**
 * Tenant and namespace isolation, property-based (issue 7, item 1): whatever mix of tenants,
 * namespaces, models, system prompts and near-identical prompts is stored, no lookup — exact or
 * semantic, `lookup` or `getOrCompute` — returns an entry stored under another tenant, namespace,
 * model or context. Each stored value records where it was stored, so a leak is visible.
 *
 * The cache runs with guards off and a low threshold, so semantic candidates are found for almost
 * every near-identical prompt: only the partitioning stands between them and a leak.
 */

interface Call {
  tenant: string | undefined;
  namespace: string | undefined;
  model: string;
  system: string | undefined;
  prompt: string;
}

interface Tag {
  [field: string]: JsonValue;
  tenant: string | null;
  namespace: string;
  model: string;
  system: string | null;
  prompt: string;
  serial: number;
}

// Tenants and namespaces that differ by case, whitespace, a NUL, a separator, a Unicode
// normal form or nothing at all (undefined vs '').
const scopeNames = [
  undefined,
  '',
  'acme',
  'Acme',
  'acme ',
  'acme\u0000',
  'acme:default',
  'default',
  'a:b',
  'a%3Ab',
  '{acme}',
  '*',
  'caf\u00e9',
  'cafe\u0301',
  'x\ud800',
  'x\udc00',
];

const prompts = [
  'How do I reset my password?',
  'how do i reset my password',
  'How do I reset my password',
  'How do I reset my passwords?',
  'How can I reset my password?',
  'What is the capital of France?',
  'what is the capital of france',
  'Turn on the kitchen light',
  'turn off the kitchen light',
  '如何重置我的密码？',
  '如何重置我的密码',
];

/** Pairs of names that differ only slightly; each run isolates one pair (plus a random name). */
const nearIdentical: ReadonlyArray<readonly [string | undefined, string | undefined]> = [
  [undefined, ''],
  [undefined, 'default'],
  ['acme', 'Acme'],
  ['acme', 'acme '],
  ['acme', 'acme\u0000'],
  ['acme', 'acme:default'],
  ['a:b', 'a%3Ab'],
  ['{acme}', '*'],
  ['caf\u00e9', 'cafe\u0301'],
  ['x\ud800', 'x\udc00'],
];

const namesArb = fc
  .tuple(fc.constantFrom(...nearIdentical), fc.option(fc.string({ maxLength: 3 })))
  .map(([pair, extra]) => [...new Set([...pair, ...(extra === null ? [] : [extra])])]);

/**
 * One run's calls: two or three tenants and namespaces that differ only slightly and a few
 * near-identical prompts, so the same scopes and contexts meet again and again within a run
 * (that is where a leak would show).
 */
const opsArb: fc.Arbitrary<Op[]> = fc
  .record({
    tenants: namesArb,
    namespaces: namesArb,
    prompts: fc.uniqueArray(
      fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...prompts) }, fc.string()),
      { minLength: 2, maxLength: 4 },
    ),
  })
  .chain(({ tenants, namespaces, prompts: pool }) => {
    const call: fc.Arbitrary<Call> = fc.record({
      tenant: fc.constantFrom(...tenants),
      namespace: fc.constantFrom(...namespaces),
      model: fc.constantFrom('gpt-4.1', 'gpt-4.1-mini'),
      system: fc.constantFrom(undefined, 'You are terse.'),
      prompt: fc.constantFrom(...pool),
    });
    return fc.array(fc.record({ kind: fc.constantFrom('store', 'lookup', 'getOrCompute'), call }), {
      minLength: 1,
      maxLength: 40,
    }) as fc.Arbitrary<Op[]>;
  });

type Op = { kind: 'store' | 'lookup' | 'getOrCompute'; call: Call };

function requestOf(call: Call): CacheRequest {
  return {
    model: { provider: 'openai.chat', id: call.model },
    messages: [
      ...(call.system === undefined
        ? []
        : [{ role: 'system' as const, content: [{ type: 'text' as const, text: call.system }] }]),
      { role: 'user', content: [{ type: 'text', text: call.prompt }] },
    ],
    scope: {
      ...(call.tenant === undefined ? {} : { tenant: call.tenant }),
      ...(call.namespace === undefined ? {} : { namespace: call.namespace }),
    },
  };
}

/** Identity of an exact request. Prompts compare in NFC, as the key schema documents. */
function exactIdentity(call: Call): string {
  return JSON.stringify([
    call.tenant ?? null,
    call.namespace ?? 'default',
    call.model,
    call.system ?? null,
    call.prompt.normalize('NFC'),
  ]);
}

/** A name with every non-ASCII or control code unit escaped, so near-identical names read apart. */
const show = (name: string | null | undefined): string =>
  name == null
    ? String(name)
    : `"${name.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;

/** Checks a served value against the call it was served to; returns a failure message or undefined. */
function leakOf(call: Call, served: Tag, kind: 'exact' | 'semantic'): string | undefined {
  if (served.tenant !== (call.tenant ?? null))
    return `tenant ${show(served.tenant)} served to ${show(call.tenant)}`;
  if (served.namespace !== (call.namespace ?? 'default'))
    return `namespace ${show(served.namespace)} served to ${show(call.namespace)}`;
  if (served.model !== call.model) return `model ${served.model} served to ${call.model}`;
  if (served.system !== (call.system ?? null)) return 'entry of another system prompt served';
  if (kind === 'exact' && served.prompt.normalize('NFC') !== call.prompt.normalize('NFC'))
    return `exact hit for ${JSON.stringify(call.prompt)} served ${JSON.stringify(served.prompt)}`;
  return undefined;
}

interface Counts {
  exact: number;
  semantic: number;
}

type Lookup = (cache: SemanticCache, call: Call) => ReturnType<SemanticCache['lookup']>;

const honestLookup: Lookup = (cache, call) => cache.lookup(requestOf(call));

/** Runs one sequence against a fresh cache and checks every answer. */
async function runSequence(ops: Op[], counts: Counts, lookup: Lookup = honestLookup) {
  const cache = createSemanticCache({
    store: new MemoryStore({ sweepIntervalMs: 0 }),
    guards: false,
    threshold: 0.3,
  });
  const latest = new Map<string, Tag>();
  let serial = 0;
  const tagOf = (call: Call): Tag => ({
    tenant: call.tenant ?? null,
    namespace: call.namespace ?? 'default',
    model: call.model,
    system: call.system ?? null,
    prompt: call.prompt,
    serial: serial++,
  });
  const check = (call: Call, kind: 'exact' | 'semantic' | 'miss', value: JsonValue) => {
    if (kind === 'miss') return;
    counts[kind]++;
    const leak = leakOf(call, value as Tag, kind);
    if (leak) throw new Error(`${kind} hit leaked: ${leak}`);
  };
  for (const { kind, call } of ops) {
    const identity = exactIdentity(call);
    if (kind === 'store') {
      const tag = tagOf(call);
      expect(await cache.store(requestOf(call), { value: tag })).toBe(true);
      latest.set(identity, tag);
    } else if (kind === 'lookup') {
      const found = await lookup(cache, call);
      if (found.kind !== 'miss') check(call, found.kind, found.value);
      // An entry stored for this very request is found, and it is the latest one.
      const expected = latest.get(identity);
      if (expected) {
        expect(found.kind).toBe('exact');
        expect(found.kind !== 'miss' && found.value).toEqual(expected);
      }
    } else {
      const tag = tagOf(call);
      const result = await cache.getOrCompute(requestOf(call), async () => ({ value: tag }));
      check(call, result.kind, result.value);
      if (result.kind === 'miss') latest.set(identity, tag);
    }
  }
  await cache.close();
}

describe('tenant and namespace isolation (MemoryStore)', () => {
  test('no lookup returns an entry of another tenant, namespace, model or context', async () => {
    const counts: Counts = { exact: 0, semantic: 0 };
    await fc.assert(
      fc.asyncProperty(opsArb, (ops) => runSequence(ops, counts)),
      { numRuns: 300, timeout: 5_000 },
    );
    // The property exercised both kinds of hits, so the checks above were not vacuous.
    expect(counts.exact).toBeGreaterThan(0);
    expect(counts.semantic).toBeGreaterThan(0);
  });

  test('one prompt stored under every tenant and namespace comes back only to its own', async () => {
    const cache = createSemanticCache({ guards: false, threshold: 0.3 });
    const scopes = scopeNames.flatMap((tenant) =>
      scopeNames.map((namespace) => ({ tenant, namespace })),
    );
    const base = { model: 'gpt-4.1', system: undefined };
    for (const [i, scope] of scopes.entries()) {
      const call = { ...base, ...scope, prompt: 'How do I reset my password?' };
      await cache.store(requestOf(call), { value: { scope: i } });
    }
    for (const scope of scopes) {
      const exact = await cache.lookup(
        requestOf({ ...base, ...scope, prompt: 'How do I reset my password?' }),
      );
      const semantic = await cache.lookup(
        requestOf({ ...base, ...scope, prompt: 'how do i reset my password' }),
      );
      // undefined and 'default' are the same namespace: the later store overwrote the earlier.
      const owner = (tenant: string | undefined, namespace: string | undefined) =>
        scopes.findLastIndex(
          (s) => s.tenant === tenant && (s.namespace ?? 'default') === (namespace ?? 'default'),
        );
      expect(exact).toMatchObject({
        kind: 'exact',
        value: { scope: owner(scope.tenant, scope.namespace) },
      });
      expect(semantic).toMatchObject({
        kind: 'semantic',
        value: { scope: owner(scope.tenant, scope.namespace) },
      });
    }
  });

  test('tenant ids that differ only in Unicode normal form are different tenants', async () => {
    const cache = createSemanticCache();
    const call = { namespace: undefined, model: 'gpt-4.1', system: undefined };
    const prompt = 'How do I reset my password?';
    // "café" precomposed (U+00E9) and decomposed (e + U+0301): two different tenant ids.
    await cache.store(requestOf({ ...call, tenant: 'caf\u00e9', prompt }), {
      value: 'precomposed',
    });
    const other = requestOf({ ...call, tenant: 'cafe\u0301', prompt });
    expect(await cache.lookup(other)).toMatchObject({ kind: 'miss' });
    expect(
      await cache.lookup(
        requestOf({ ...call, tenant: 'cafe\u0301', prompt: 'how do i reset my password' }),
      ),
    ).toMatchObject({ kind: 'miss' });
  });

  test('the property detects a leak: a caller that drops the scope is caught', async () => {
    const leaky: Lookup = (cache, call) =>
      cache.lookup({ ...requestOf(call), scope: {} } satisfies CacheRequest);
    const outcome = await fc.check(
      fc.asyncProperty(opsArb, (ops) => runSequence(ops, { exact: 0, semantic: 0 }, leaky)),
      { numRuns: 300, timeout: 5_000, seed: 7 },
    );
    expect(outcome.failed).toBe(true);
  });
});
