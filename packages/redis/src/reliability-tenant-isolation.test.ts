import {
  type CacheRequest,
  createSemanticCache,
  type JsonValue,
  type SemanticCache,
  type SemcacheError,
} from '@semcache/core';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RedisStore } from './redis-store.js';
import {
  findRedis8Server,
  type RedisServer,
  redis8SkipReason,
  startRedisServer,
} from './testing.js';

const redis8 = findRedis8Server();

/**
 * Tenant and namespace isolation through a shared Redis (issue 7, item 1): two caches on two
 * `RedisStore`s — two processes sharing one Redis — store and look up requests across tenants,
 * namespaces, models, system prompts and near-identical prompts. No lookup, exact or semantic,
 * through either process returns an entry stored under another tenant, namespace, model or
 * context. Each stored value records where it was stored, so a leak is visible.
 *
 * It runs against both semantic indexes: the in-process replica (the redis-server on PATH,
 * Redis 7 on these machines) and Redis 8 vector sets (issue 14), which `semanticIndex: 'auto'`
 * picks there.
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

type Op = { kind: 'store' | 'lookup' | 'getOrCompute'; via: 0 | 1; call: Call };

/**
 * Pairs of names that differ only slightly — including names the Redis key layout must encode
 * (`:`, `%`, braces, glob characters, lone surrogates). Each run isolates one pair plus a random
 * name.
 */
const nearIdentical: ReadonlyArray<readonly [string | undefined, string | undefined]> = [
  [undefined, ''],
  [undefined, 'default'],
  ['acme', 'Acme'],
  ['acme', 'acme '],
  ['acme', 'acme\u0000'],
  ['acme', 'acme:default'],
  ['a:b', 'a%3Ab'],
  ['{acme}', '*'],
  ['a*', 'a?'],
  ['caf\u00e9', 'cafe\u0301'],
  ['x\ud800', 'x\udc00'],
];

const prompts = [
  'How do I reset my password?',
  'how do i reset my password',
  'How do I reset my passwords?',
  'How can I reset my password?',
  'What is the capital of France?',
  'what is the capital of france',
  '如何重置我的密码？',
  '如何重置我的密码',
];

const namesArb = fc
  .tuple(fc.constantFrom(...nearIdentical), fc.option(fc.string({ maxLength: 3 })))
  .map(([pair, extra]) => [...new Set([...pair, ...(extra === null ? [] : [extra])])]);

const opsArb: fc.Arbitrary<Op[]> = fc
  .record({
    tenants: namesArb,
    namespaces: namesArb,
    prompts: fc.uniqueArray(
      fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...prompts) }, fc.string()),
      { minLength: 2, maxLength: 3 },
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
    return fc.array(
      fc.record({
        kind: fc.constantFrom('store', 'lookup', 'getOrCompute'),
        via: fc.constantFrom(0, 1),
        call,
      }),
      { minLength: 1, maxLength: 30 },
    ) as fc.Arbitrary<Op[]>;
  });

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

function leakOf(call: Call, served: Tag, kind: 'exact' | 'semantic'): string | undefined {
  if (served.tenant !== (call.tenant ?? null))
    return `tenant ${show(served.tenant)} served to ${show(call.tenant)}`;
  if (served.namespace !== (call.namespace ?? 'default'))
    return `namespace ${show(served.namespace)} served to ${show(call.namespace)}`;
  if (served.model !== call.model) return `model ${served.model} served to ${call.model}`;
  if (served.system !== (call.system ?? null)) return 'entry of another system prompt served';
  if (kind === 'exact' && served.prompt.normalize('NFC') !== call.prompt.normalize('NFC'))
    return `exact hit for ${show(call.prompt)} served ${show(served.prompt)}`;
  return undefined;
}

let server: RedisServer;
let client: Redis;
let run = 0;
/** Whether the stores of the current server must use vector sets. */
let expectVectorSets = false;

async function startServer(binary: string | undefined): Promise<void> {
  server = await startRedisServer(binary ? { useEnvUrl: false, binary } : {});
  client = server.client({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  await new Promise<void>((resolve) => {
    if (client.status === 'ready') resolve();
    else client.once('ready', () => resolve());
  });
  expectVectorSets = binary !== undefined;
}

/** Two caches on two stores sharing one Redis prefix, as two processes would. */
async function twoProcesses(): Promise<{
  caches: [SemanticCache, SemanticCache];
  errors: SemcacheError[];
  close: () => Promise<void>;
}> {
  const prefix = `iso${process.pid}-${++run}:`;
  const stores = [new RedisStore({ client, prefix }), new RedisStore({ client, prefix })];
  await Promise.all(stores.map((store) => store.whenSynced()));
  for (const store of stores) {
    if (expectVectorSets) expect(store.indexStats().vectorSets).toBe(true);
  }
  const errors: SemcacheError[] = [];
  const caches = stores.map((store) => {
    const cache = createSemanticCache({
      store,
      guards: false,
      threshold: 0.3,
      // A loaded CI machine must not turn a slow reply into a skipped store.
      storeTimeoutMs: 5_000,
    });
    cache.on('error', ({ error }) => errors.push(error));
    return cache;
  }) as [SemanticCache, SemanticCache];
  return {
    caches,
    errors,
    close: async () => {
      await Promise.all(stores.map((store) => store.close()));
    },
  };
}

interface Counts {
  exact: number;
  semantic: number;
}

async function runSequence(ops: Op[], counts: Counts): Promise<void> {
  const { caches, errors, close } = await twoProcesses();
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
  try {
    for (const { kind, via, call } of ops) {
      const cache = caches[via];
      const identity = exactIdentity(call);
      if (kind === 'store') {
        const tag = tagOf(call);
        expect(await cache.store(requestOf(call), { value: tag })).toBe(true);
        latest.set(identity, tag);
      } else if (kind === 'lookup') {
        const found = await cache.lookup(requestOf(call));
        if (found.kind !== 'miss') check(call, found.kind, found.value);
        // Whichever process stored it, an entry of this very request is found: the latest one.
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
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
}

const targets = [
  { index: 'replica (redis-server on PATH)', binary: undefined, skip: false },
  { index: `Redis 8 vector sets (${redis8 ?? redis8SkipReason})`, binary: redis8, skip: !redis8 },
];

describe.each(targets)(
  'tenant and namespace isolation (RedisStore, two processes, $index)',
  ({ binary, skip }) => {
    beforeAll(async () => {
      if (!skip) await startServer(binary);
    }, 20_000);

    afterAll(async () => {
      if (!skip) await server.stop();
    });
    test.skipIf(skip)(
      'no lookup returns an entry of another tenant, namespace, model or context',
      async () => {
        const counts: Counts = { exact: 0, semantic: 0 };
        await fc.assert(
          fc.asyncProperty(opsArb, (ops) => runSequence(ops, counts)),
          { numRuns: 200, timeout: 10_000 },
        );
        expect(counts.exact).toBeGreaterThan(0);
        expect(counts.semantic).toBeGreaterThan(0);
      },
      60_000,
    );

    test.skipIf(skip)(
      'one prompt stored under every pair of near-identical scopes comes back only to its own',
      async () => {
        const { caches, errors, close } = await twoProcesses();
        try {
          const names = [...new Set(nearIdentical.flat())];
          const scopes = names.flatMap((tenant) =>
            names.map((namespace) => ({ tenant, namespace })),
          );
          const base = { model: 'gpt-4.1', system: undefined };
          for (const [i, scope] of scopes.entries()) {
            const call = { ...base, ...scope, prompt: 'How do I reset my password?' };
            await caches[0].store(requestOf(call), { value: { scope: i } });
          }
          const owner = (tenant: string | undefined, namespace: string | undefined) =>
            scopes.findLastIndex(
              (s) => s.tenant === tenant && (s.namespace ?? 'default') === (namespace ?? 'default'),
            );
          for (const scope of scopes) {
            const expected = { scope: owner(scope.tenant, scope.namespace) };
            const call = { ...base, ...scope, prompt: 'How do I reset my password?' };
            // Exact, from the process that stored and from the other one.
            for (const cache of caches) {
              expect(await cache.lookup(requestOf(call))).toMatchObject({
                kind: 'exact',
                value: expected,
              });
            }
            expect(
              await caches[0].lookup(requestOf({ ...call, prompt: 'how do i reset my password' })),
            ).toMatchObject({ kind: 'semantic', value: expected });
          }
          expect(errors).toEqual([]);
        } finally {
          await close();
        }
      },
      30_000,
    );
  },
);
