import { inspect } from 'node:util';
import type { ChatOpenAIFields } from '@langchain/openai';
import {
  type CacheEventName,
  type CacheStore,
  type SemanticCache as CoreSemanticCache,
  createSemanticCache,
  MemoryStore,
} from '@semcache/core';
import { inspectEntry, RedisStore } from '@semcache/redis';
import { type RedisServer, startRedisServer } from '@semcache/redis/testing';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { readCacheInfo } from './cache-info.js';
import { mockChat, useMockServer } from './chat-fixture.test.helper.js';
import { SemanticCache } from './semantic-cache.js';
import { withSemanticCache } from './with-semantic-cache.js';

/**
 * Secrets never reach the cache (issue 7, item 2) through LangChain: `ChatOpenAI` is given an API
 * key, a base URL with user and password, an organization and Authorization / API-key headers —
 * all of which LangChain hands to a cache inside `llmKey`. With a MemoryStore and with a
 * RedisStore, every Redis key and value (SCAN), every command Redis received (MONITOR),
 * everything written to a MemoryStore, every cache event, every console line and every error
 * message the app sees are searched for each secret, in clear, base64 and URL-encoded form.
 */

const secret = {
  apiKey: 'sk-plantedApiKey4Rt8Wq1Zx5Cv7Bn',
  password: 'plantedUrlPassw0rd-2Gh6',
  bearer: 'plantedBearerToken-9Kd3Lp6Ws1',
  headerKey: 'plantedHeaderKey-1Mv4Xe7Qa2',
} as const;
const urlUser = 'planted-user';

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

function recordEvents(cache: CoreSemanticCache): string[] {
  const seen: string[] = [];
  for (const name of allEvents) {
    cache.on(name, (payload) => {
      seen.push(`${name} ${inspect(payload, { depth: 20, showHidden: true })}`);
    });
  }
  return seen;
}

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

const mock = useMockServer();
let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedisServer({ useEnvUrl: false });
}, 20_000);
afterAll(async () => {
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

/**
 * ChatOpenAI fields with every secret planted. Node's fetch refuses URLs with credentials, so a
 * proxy-style fetch moves them into a Basic header — as an app would.
 */
function fieldsWithSecrets(): ChatOpenAIFields {
  return {
    apiKey: secret.apiKey,
    configuration: {
      baseURL: mock().url.replace('http://', `http://${urlUser}:${secret.password}@`),
      organization: secret.headerKey,
      defaultHeaders: { Authorization: `Bearer ${secret.bearer}`, 'X-Api-Key': secret.headerKey },
      fetch: async (input: string | URL | Request, init?: RequestInit) => {
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
    },
  };
}

/** Every `llmKey` LangChain handed to a cache: where the secrets arrive. */
const llmKeys: string[] = [];

/** A SemanticCache that also records the `llmKey` of each lookup. */
class RecordingCache extends SemanticCache {
  override lookup(prompt: string, llmKey: string) {
    llmKeys.push(llmKey);
    return super.lookup(prompt, llmKey);
  }
}

async function exerciseCalls(core: CoreSemanticCache, canary: string): Promise<string[]> {
  const cache = new RecordingCache({ cache: core, tenant: 'tenant-a' });
  const llm = mockChat(mock(), { ...fieldsWithSecrets(), cache });
  const replies = [
    await llm.invoke('How do I reset my password?'),
    await llm.invoke('How do I reset my password?'),
    await llm.invoke('how do i reset my password'),
  ];
  expect(replies.map((reply) => readCacheInfo(reply)?.hit)).toEqual(['miss', 'exact', 'semantic']);

  const streaming = withSemanticCache(mockChat(mock(), fieldsWithSecrets()), {
    cache: core,
    tenant: 'tenant-a',
  });
  for (let i = 0; i < 2; i++) {
    let text = '';
    for await (const chunk of await streaming.stream('Explain caching in one line.'))
      text += chunk.text;
    expect(text).toMatch(/Mock answer/);
  }
  // The canary is user content: it is stored (in the semantic text), which proves the scans
  // below read stored values — a scan that sees nothing would pass for the wrong reason.
  await llm.invoke(`Remember ${canary}`);

  const appErrors: string[] = [];
  for (const status of [401, 500] as const) {
    mock().failNext({ status });
    try {
      await llm.invoke(`Fail with ${status}`);
      expect.unreachable();
    } catch (error) {
      appErrors.push(describeError(error));
    }
  }
  expect(appErrors).toHaveLength(2);
  // The secrets did reach the cache's input, so finding none of them below means they were removed.
  expect(findSecrets(llmKeys)).not.toEqual([]);
  for (const value of [secret.apiKey, secret.password, secret.bearer, secret.headerKey]) {
    expect(llmKeys.some((key) => key.includes(value))).toBe(true);
  }
  return appErrors;
}

describe('no secret reaches the cache through LangChain', () => {
  test('MemoryStore: stored records, events, console and error messages are free of secrets', async () => {
    const { store, written } = recordingStore(new MemoryStore());
    const core = createSemanticCache({ store });
    const events = recordEvents(core);
    const canary = 'canary-lc-memory-5820';
    const appErrors = await exerciseCalls(core, canary);

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
    const prefix = 'secrets-lc:';
    const store = new RedisStore({
      client,
      prefix,
      onError: (error) => storeErrors.push(describeError(error)),
    });
    await store.whenSynced();
    const core = createSemanticCache({
      store,
      storeTimeoutMs: 2_000,
      circuitBreaker: { failureThreshold: 100, cooldownMs: 10 },
    });
    const events = recordEvents(core);
    const canary = 'canary-lc-redis-3307';
    try {
      const appErrors = await exerciseCalls(core, canary);

      // Redis down: the call still answers, and the errors reported name no secret either.
      await redis.kill();
      const llm = mockChat(mock(), {
        ...fieldsWithSecrets(),
        cache: new SemanticCache({ cache: core }),
      });
      const down = await llm.invoke('Is Redis down?');
      expect(down.content).toMatch(/Mock answer/);
      expect(events.some((event) => event.startsWith('error'))).toBe(true);
      await redis.restart();
      await new Promise((resolve) =>
        client.status === 'ready' ? resolve(undefined) : client.once('ready', resolve),
      );
      // The store reloads its index from the restarted (empty) server; wait until it has.
      await until(() => store.indexStats().syncs >= 2 && !store.indexStats().syncing);
      // The restart emptied Redis: make the calls again so there is something to scan.
      await exerciseCalls(core, canary);

      const admin = redis.client();
      const stored: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', '*', 'COUNT', 1000);
        cursor = next;
        for (const key of keys) {
          stored.push(key);
          const type = await admin.type(key);
          if (type === 'string') {
            const value = await admin.getBuffer(key);
            stored.push(value?.toString('latin1') ?? '', value?.toString('utf8') ?? '');
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
