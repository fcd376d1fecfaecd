import { inspect } from 'node:util';
import {
  type CacheEventName,
  type CacheStore,
  createSemanticCache,
  MemoryStore,
  type SemanticCache,
} from '@semcache/core';
import { type MockOpenAIServer, startMockOpenAI } from '@semcache/mock-openai';
import { inspectEntry, RedisStore } from '@semcache/redis';
import { type RedisServer, startRedisServer } from '@semcache/redis/testing';
import { generateText, streamText, wrapLanguageModel } from 'ai';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { createHolySheep } from './holysheep.js';
import { semanticCacheMiddleware } from './semantic-cache-middleware.js';

/**
 * Secrets never reach the cache (issue 7, item 2): an API key, a base URL with credentials and
 * Authorization / API-key headers are planted in calls through the AI SDK middleware, with a
 * MemoryStore and with a RedisStore. Then every Redis key and value (SCAN), every command Redis
 * received (MONITOR), everything written to a MemoryStore, every cache event, every console line
 * and every error message the app sees are searched for each secret, in clear, base64 and
 * URL-encoded form.
 */

const secret = {
  apiKey: 'sk-plantedApiKey7Qx2Lm9Vb4Np0Zt6',
  password: 'plantedUrlPassw0rd-5Jk8',
  bearer: 'plantedBearerToken-3Hs7Df1Gq9',
  headerKey: 'plantedHeaderKey-8Wn2Rc5Ty0',
} as const;
const urlUser = 'planted-user';

/** Every form in which a secret could be written: clear, base64 (also as Basic auth), URL-encoded. */
function secretForms(): string[] {
  const forms = new Set<string>();
  for (const value of Object.values(secret)) {
    forms.add(value);
    forms.add(encodeURIComponent(value));
    forms.add(Buffer.from(value).toString('base64').replace(/=+$/, ''));
  }
  forms.add(Buffer.from(`${urlUser}:${secret.password}`).toString('base64').replace(/=+$/, ''));
  return [...forms];
}

/** The secrets (in any form) found in `texts`, with where they were found. */
function findSecrets(texts: Iterable<string>): string[] {
  const forms = secretForms();
  const found: string[] = [];
  for (const text of texts) {
    for (const form of forms) {
      if (text.includes(form)) found.push(`${form} in ${text.slice(0, 300)}`);
    }
  }
  return found;
}

const allEvents: CacheEventName[] = ['hit', 'miss', 'veto', 'store', 'coalesced', 'error'];

/** Records every event of `cache`, in full (error messages, causes and stacks included). */
function recordEvents(cache: SemanticCache): string[] {
  const seen: string[] = [];
  for (const name of allEvents) {
    cache.on(name, (payload) => {
      seen.push(`${name} ${inspect(payload, { depth: 20, showHidden: true })}`);
    });
  }
  return seen;
}

/** Message, stack and causes of an error the app saw. */
function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 10; depth++) {
    if (current instanceof Error) {
      parts.push(current.message, current.stack ?? '');
      current = current.cause;
    } else {
      parts.push(String(current));
      current = undefined;
    }
  }
  return parts.join('\n');
}

/** A store that remembers everything written to it (MemoryStore keeps no list we could read). */
function recordingStore(inner: CacheStore): { store: CacheStore; written: string[] } {
  const written: string[] = [];
  const store: CacheStore = {
    name: inner.name,
    get: (namespace, key) => {
      written.push(`get ${namespace} ${key}`);
      return inner.get(namespace, key);
    },
    set: (namespace, record) => {
      written.push(
        `set ${namespace} ${record.key} ${record.payload} ${JSON.stringify(record.labels)} ${record.index?.partition ?? ''}`,
      );
      return inner.set(namespace, record);
    },
    delete: (namespace, key) => inner.delete(namespace, key),
    search: (namespace, query) => {
      written.push(`search ${namespace} ${query.partition}`);
      return inner.search(namespace, query);
    },
    clear: (namespace) => inner.clear(namespace),
    close: () => inner.close(),
  };
  return { store, written };
}

let mock: MockOpenAIServer;
let redis: RedisServer;

beforeAll(async () => {
  mock = await startMockOpenAI();
  redis = await startRedisServer({ useEnvUrl: false });
}, 20_000);
afterAll(async () => {
  await mock.close();
  await redis.stop();
});

const consoleLines: string[] = [];
beforeAll(() => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      consoleLines.push(args.map((arg) => inspect(arg, { depth: 10 })).join(' '));
    });
  }
});
afterAll(() => {
  vi.restoreAllMocks();
});
afterEach(() => mock.reset());

/**
 * The model, through `createHolySheep` with every secret planted: API key, a base URL with user
 * and password, and Authorization / X-Api-Key headers. Node's fetch refuses URLs with
 * credentials, so a proxy-style fetch moves them into a Basic header — as an app would.
 */
function modelWithSecrets(cache: SemanticCache) {
  const baseURL = mock.url.replace('http://', `http://${urlUser}:${secret.password}@`);
  const holysheep = createHolySheep({
    apiKey: secret.apiKey,
    baseURL,
    headers: { 'X-Api-Key': secret.headerKey },
    fetch: async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const basic = Buffer.from(
        `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`,
      ).toString('base64');
      url.username = '';
      url.password = '';
      const headers = new Headers(init?.headers);
      headers.set('Proxy-Authorization', `Basic ${basic}`);
      return fetch(url, { ...init, headers });
    },
  });
  return wrapLanguageModel({
    model: holysheep('gpt-4.1'),
    middleware: semanticCacheMiddleware({ cache, tenant: 'tenant-a' }),
  });
}

/** Per-call headers, as apps pass them. */
const callHeaders = { Authorization: `Bearer ${secret.bearer}`, 'X-Api-Key': secret.headerKey };

/** Runs the calls of one scenario; returns the messages of the errors the app saw. */
async function exerciseCalls(cache: SemanticCache, canary: string): Promise<string[]> {
  const model = modelWithSecrets(cache);
  const appErrors: string[] = [];
  const first = await generateText({
    model,
    prompt: 'How do I reset my password?',
    headers: callHeaders,
  });
  const again = await generateText({
    model,
    prompt: 'How do I reset my password?',
    headers: callHeaders,
  });
  const reworded = await generateText({
    model,
    prompt: 'how do i reset my password',
    headers: callHeaders,
  });
  expect([first, again, reworded].map((r) => r.providerMetadata?.semcache?.hit)).toEqual([
    'miss',
    'exact',
    'semantic',
  ]);
  for (let i = 0; i < 2; i++) {
    const result = streamText({
      model,
      prompt: 'Explain caching in one line.',
      headers: callHeaders,
    });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toMatch(/Mock answer/);
  }
  // The canary is user content: it is stored (in the semantic text), which proves the scans
  // below read stored values — a scan that sees nothing would pass for the wrong reason.
  await generateText({ model, prompt: `Remember ${canary}`, headers: callHeaders });
  for (const status of [401, 500] as const) {
    mock.failNext({ status });
    try {
      await generateText({
        model,
        prompt: `Fail with ${status}`,
        headers: callHeaders,
        maxRetries: 0,
      });
      expect.unreachable();
    } catch (error) {
      appErrors.push(describeError(error));
    }
  }
  expect(appErrors).toHaveLength(2);
  // The secrets did travel with the calls (the upstream saw them), so they were there to leak.
  const sent = JSON.stringify(mock.log.map((entry) => entry.headers));
  const basic = Buffer.from(`${urlUser}:${secret.password}`).toString('base64');
  for (const value of [secret.bearer, secret.headerKey, basic]) expect(sent).toContain(value);
  return appErrors;
}

describe('no secret reaches the cache through the AI SDK middleware', () => {
  test('MemoryStore: stored records, events, console and error messages are free of secrets', async () => {
    const { store, written } = recordingStore(new MemoryStore());
    const cache = createSemanticCache({ store });
    const events = recordEvents(cache);
    const canary = 'canary-memory-4471';
    const appErrors = await exerciseCalls(cache, canary);

    expect(written.some((line) => line.includes(canary))).toBe(true);
    expect(events.length).toBeGreaterThan(5);
    // The cache prints nothing itself: what reaches logs is what the app's listeners write.
    expect(consoleLines).toEqual([]);
    expect(findSecrets([...written, ...events, ...consoleLines, ...appErrors])).toEqual([]);
  });

  test('RedisStore: every key, value and command, events and error messages are free of secrets, also while Redis is down', async () => {
    const client = redis.client({
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 20,
    });
    await new Promise((resolve) => client.once('ready', resolve));
    const monitor = await redis.monitor();
    const { commands } = monitor;
    const storeErrors: string[] = [];
    const prefix = 'secrets-ai:';
    const store = new RedisStore({
      client,
      prefix,
      onError: (error) => storeErrors.push(describeError(error)),
    });
    await store.whenSynced();
    const cache = createSemanticCache({
      store,
      storeTimeoutMs: 2_000,
      circuitBreaker: { failureThreshold: 100, cooldownMs: 10 },
    });
    const events = recordEvents(cache);
    const canary = 'canary-redis-9182';
    try {
      const appErrors = await exerciseCalls(cache, canary);

      // Redis down: the calls still answer, and the errors reported name no secret either.
      await redis.kill();
      const model = modelWithSecrets(cache);
      const down = await generateText({ model, prompt: 'Is Redis down?', headers: callHeaders });
      expect(down.text).toMatch(/Mock answer/);
      expect(events.some((event) => event.startsWith('error'))).toBe(true);
      await redis.restart();
      await new Promise((resolve) =>
        client.status === 'ready' ? resolve(undefined) : client.once('ready', resolve),
      );
      // The store reloads its index from the restarted (empty) server; wait until it has.
      await until(() => store.indexStats().syncs >= 2 && !store.indexStats().syncing);

      // Everything under the prefix: raw values (by type) and decoded entries.
      const stored: string[] = [];
      const admin = redis.client();
      // The restart emptied Redis: write the calls again so there is something to scan.
      await exerciseCalls(cache, canary);
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', '*', 'COUNT', 1000);
        cursor = next;
        for (const key of keys) {
          stored.push(key);
          const type = await admin.type(key);
          if (type === 'string') {
            stored.push((await admin.getBuffer(key))?.toString('latin1') ?? '');
            stored.push((await admin.getBuffer(key))?.toString('utf8') ?? '');
          } else if (type === 'stream') {
            stored.push(JSON.stringify(await admin.xrange(key, '-', '+')));
          } else if (type === 'hash') {
            stored.push(JSON.stringify(await admin.hgetall(key)));
          }
        }
      } while (cursor !== '0');
      for (const key of stored.filter((k) => k.includes(':e:{'))) {
        stored.push(JSON.stringify(await inspectEntry(admin, key, { prefix })));
      }
      expect(stored.some((text) => text.includes(canary))).toBe(true);
      await monitor.settle();
      expect(commands.some((command) => command.includes(canary))).toBe(true);
      expect(
        findSecrets([
          ...stored,
          ...commands,
          ...events,
          ...storeErrors,
          ...consoleLines,
          ...appErrors,
        ]),
      ).toEqual([]);
    } finally {
      await store.close();
      monitor.close();
      client.disconnect();
    }
  }, 30_000);
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
