import { createSemanticCache } from '@semcache/core';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RedisStore } from './redis-store.js';
import { type RedisServer, startRedisServer } from './testing.js';

let server: RedisServer;
let client: Redis;
let run = 0;
beforeAll(async () => {
  server = await startRedisServer();
  client = server.client({ maxRetriesPerRequest: 1 });
  await client.ping();
}, 20_000);
afterAll(async () => server.stop());

describe('verified-caching outcomes in Redis', () => {
  test('live next to the entry with its TTL, are shared by every store, and go with a namespace clear', async () => {
    const prefix = `out${process.pid}-${++run}:`;
    const a = new RedisStore({ client, prefix });
    const b = new RedisStore({ client, prefix });
    try {
      const key = 'a'.repeat(64);
      await a.recordOutcome('ns', key, { similarity: 0.953, correct: true }, 60_000);
      await a.recordOutcome('ns', key, { similarity: 0.957, correct: true }, 60_000);
      await a.recordOutcome('ns', key, { similarity: 0.91, correct: false }, 60_000);
      await a.recordOutcome(
        'ns',
        '\u0000verify-pool:lexical',
        { similarity: 0.93, correct: true },
        60_000,
      );
      const [entry, pool, none] = await b.readOutcomes('ns', [
        key,
        '\u0000verify-pool:lexical',
        'b'.repeat(64),
      ]);
      expect(entry?.sort((x, y) => x.bin - y.bin)).toEqual([
        { bin: 91, correct: 0, wrong: 1 },
        { bin: 95, correct: 2, wrong: 0 },
      ]);
      expect(pool).toEqual([{ bin: 93, correct: 1, wrong: 0 }]);
      expect(none).toBeUndefined();
      const [redisKey] = await client.keys(`${prefix}*:o:{${key}}`);
      expect(await client.pttl(redisKey as string)).toBeGreaterThan(50_000);
      await a.clear('ns');
      expect(await a.readOutcomes('ns', [key])).toEqual([undefined]);
      // Another store learns of the new generation from the change stream.
      const deadline = Date.now() + 10_000;
      while ((await b.readOutcomes('ns', [key]))[0] !== undefined && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await b.readOutcomes('ns', [key])).toEqual([undefined]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a cache with verify on learns in one process and the next process starts from what it learned', async () => {
    const prefix = `out${process.pid}-${++run}:`;
    const request = (text: string) => ({
      model: { provider: 't', id: 'm' },
      messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }],
    });
    const verify = { maxFalseHitRate: 0.2, judge: () => true };
    const first = createSemanticCache({
      store: new RedisStore({ client, prefix }),
      verify,
      guards: false,
    });
    await first.store(request('How do I reset my password?'), {
      value: 'Settings → Reset.',
      finishReason: 'stop',
    });
    await first.getOrCompute(request('how do i reset my password'), async () => ({
      value: 'Settings → Reset.',
      finishReason: 'stop',
    }));
    await first.flush();
    expect(first.stats()).toMatchObject({ verifications: 1, verificationsCorrect: 1 });
    await first.close();
    await first.cacheStore.close();
    const second = createSemanticCache({
      store: new RedisStore({ client, prefix }),
      verify,
      guards: false,
    });
    try {
      // The entry's own outcome is read from Redis: one right check at this similarity.
      const outcomes = await second.cacheStore.readOutcomes?.('default', [
        second.keys(request('How do I reset my password?')).exactKey,
      ]);
      expect(outcomes?.[0]?.[0]).toMatchObject({ correct: 1, wrong: 0 });
    } finally {
      await second.close();
      await second.cacheStore.close();
    }
  });
});
