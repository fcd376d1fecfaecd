import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type CacheRequest, createSemanticCache, lexicalEmbedder } from '@semcache/core';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { RedisStore } from './redis-store.js';
import { type NodeWorker, type RedisServer, startNodeWorker, startRedisServer } from './testing.js';

// Workers run the TypeScript sources with plain node (startNodeWorker with `sources`): no build
// step, and they run exactly the code the other tests run.
const worker = fileURLToPath(new URL('../test-fixtures/cache-worker.ts', import.meta.url));

let server: RedisServer;
let client: Redis;
const children = new Set<ChildProcess>();
let counter = 0;

beforeAll(async () => {
  server = await startRedisServer();
  client = server.client({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  await new Promise((resolve) => client.once('ready', resolve));
}, 20_000);

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

afterAll(async () => {
  await server.stop();
});

function startWorker(task: Record<string, unknown>): NodeWorker {
  const started = startNodeWorker(worker, [JSON.stringify({ url: server.url, ...task })], {
    sources: true,
  });
  children.add(started.child);
  return started;
}

function request(text: string): CacheRequest {
  return {
    model: { provider: 'test', id: 'worker-model' },
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
  };
}

describe('several processes on one Redis', () => {
  test('an entry stored by process A is found semantically by process B', async () => {
    const prefix = `mp${++counter}:`;
    const store = new RedisStore({ client, prefix });
    const cache = createSemanticCache({ store, storeTimeoutMs: 1000 });
    try {
      await store.whenSynced();
      const a = startWorker({
        prefix,
        mode: 'store',
        text: 'How long does shipping to Canada take?',
        value: 'About 5 days',
      });
      expect(await a.exited).toBe(0);
      // B never stored anything: only the change stream can have told it about A's entry.
      let hit = await cache.lookup(request('how long does shipping to canada take'));
      for (let i = 0; hit.kind === 'miss' && i < 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        hit = await cache.lookup(request('how long does shipping to canada take'));
      }
      expect(hit).toMatchObject({ kind: 'semantic', value: 'About 5 days' });
    } finally {
      await store.close();
    }
  }, 20_000);

  test.each(['on-demand', 'full'] as const)(
    "replica '%s': a process started later finds existing entries semantically",
    async (replica) => {
      const prefix = `mp${++counter}:`;
      const a = startWorker({
        prefix,
        mode: 'store',
        text: 'Which plans include SSO?',
        value: 'Enterprise',
      });
      expect(await a.exited).toBe(0);
      const store = new RedisStore({ client, prefix, replica });
      try {
        await store.whenSynced();
        // Full: everything is loaded at start; on demand: nothing until a partition is searched.
        expect(store.indexStats().entries).toBe(replica === 'full' ? 1 : 0);
        const cache = createSemanticCache({ store, storeTimeoutMs: 1000 });
        expect(await cache.lookup(request('which plans include sso'))).toMatchObject({
          kind: 'semantic',
          value: 'Enterprise',
        });
        expect(store.indexStats().entries).toBe(1);
      } finally {
        await store.close();
      }
    },
    20_000,
  );

  test('4 processes × 50 concurrent identical calls compute once', async () => {
    const prefix = `mp${++counter}:`;
    const counterKey = `${prefix}computes`;
    const startKey = `${prefix}start`;
    const workers = Array.from({ length: 4 }, () =>
      startWorker({
        prefix,
        mode: 'flight',
        text: 'Write a haiku about caches',
        concurrency: 50,
        computeMs: 300,
        counterKey,
        startKey,
      }),
    );
    // Every worker connected and loaded before the start line, so they really race.
    await Promise.all(workers.map((w) => w.line('READY')));
    await client.set(startKey, '1');
    const results = await Promise.all(workers.map((w) => w.line('RESULT ')));
    expect(await client.get(counterKey)).toBe('1');
    const kinds: string[] = [];
    for (const result of results) {
      const parsed = JSON.parse(result) as { values: string[]; kinds: string[]; errors: number };
      expect(parsed.values).toEqual(['computed']);
      expect(parsed.errors).toBe(0);
      kinds.push(...parsed.kinds);
    }
    expect(kinds).toHaveLength(200);
  }, 30_000);

  test('waiters proceed when the leader dies holding the lease', async () => {
    const prefix = `mp${++counter}:`;
    const leader = startWorker({
      prefix,
      mode: 'hang',
      text: 'A question the leader never answers',
      leaseMs: 1000,
    });
    await leader.line('COMPUTING');
    leader.child.kill('SIGKILL');
    await leader.exited;
    const store = new RedisStore({ client, prefix });
    // Waits up to 20 s for a leader; the dead leader's lease ends after 1 s.
    const cache = createSemanticCache({
      store,
      storeTimeoutMs: 1000,
      coalesceTimeoutMs: 20_000,
      embedder: lexicalEmbedder(),
    });
    try {
      await store.whenSynced();
      let computed = 0;
      const result = await cache.getOrCompute(
        request('A question the leader never answers'),
        async () => {
          computed++;
          return { value: 'answered by the waiter', finishReason: 'stop' };
        },
      );
      expect(result.value).toBe('answered by the waiter');
      expect(computed).toBe(1);
    } finally {
      await store.close();
    }
  }, 10_000);
});
